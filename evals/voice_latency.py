"""Voice-turn latency: speech in → first reply audio, over N turns, with the embedded stack.

Reproduce: ``attune bench voice --turns 10 --json``.

The user's side is synthesised speech (Piper, the same messages as the text benchmark). Each turn goes through
VoiceConversation exactly as live audio would: the utterance is fed, then silence is fed at real-time pace (32 ms
frames, sleeping between them), so the end-of-turn wait (``end_of_turn_ms``) and the early speech recognition
that overlaps it are timed on the wall clock. Figures:
- end_of_speech_to_first_audio: wall time from the end of the user's speech to the first reply audio being ready
  (= the end-of-turn silence wait + what recognition, planning and TTS still need after it);
- end_of_turn_to_first_audio: the same from the end-of-turn decision (the processing part alone);
- text_to_first_audio: a typed message → the first reply audio (Agent.stream + TTS of the first sentence);
- stages: asr_compute (one recognition), asr_after_end_of_turn (what was left of it after the end of turn),
  planning_to_first_sentence (perception + safety + planning + writing until the first sentence), tts_first_sentence.
"""
from __future__ import annotations

import os
import platform
import resource
import time

import numpy as np

from agent.config import Settings
from evals.latency import CONVERSATION_LENGTH, MESSAGES, percentile

FRAME = 512
RATE = 16000


def _user_audio(tts, text: str) -> np.ndarray:
    import soxr

    chunks = list(tts.synthesize(text, "neutral", 0.5))
    pieces = []
    for chunk in chunks:
        audio = chunk.audio
        if chunk.phonemes and chunk.phonemes[-1].phoneme == "":  # drop the synthetic pause: speech ends here
            audio = audio[: int(round(chunk.phonemes[-1].start * chunk.sample_rate))]
        pieces.append(audio)
    return soxr.resample(np.concatenate(pieces), chunks[0].sample_rate, RATE).astype(np.float32)


def _stats(values: list[float]) -> dict:
    return {"p50": percentile(values, 50), "p95": percentile(values, 95), "n": len(values)}


def bench_voice_latency(settings: Settings, turns: int = 10) -> dict:
    from agent.pipeline import Agent
    from agent.speech.analysis import wer
    from agent.speech.asr import load_asr
    from agent.speech.conversation import EndOfTurn, ReplyAudio, ReplyDone, VoiceConversation
    from agent.speech.stream import ReplySpeaker
    from agent.speech.tts import load_tts
    from agent.speech.types import VoiceProfile

    t0 = time.perf_counter()
    agent = Agent(settings).setup()
    asr, tts = load_asr(settings), load_tts(settings)
    asr.setup()
    tts.setup()
    cold_start_ms = (time.perf_counter() - t0) * 1000
    user_tts = load_tts(settings, VoiceProfile(engine="piper", voice="joe"))
    messages = [MESSAGES[i % len(MESSAGES)] for i in range(turns)]
    user_audio = {m: _user_audio(user_tts, m) for m in set(messages)}
    asr.transcribe(user_audio[messages[0]], RATE)  # warm-up (first CTranslate2 call allocates)

    rows: list[dict] = []
    conv = VoiceConversation(agent, asr, tts, settings)
    for i, message in enumerate(messages):
        if i % CONVERSATION_LENGTH == 0:
            agent.reset()
        while conv.replying:  # let the previous reply's audio play out on the audio clock
            conv.feed(np.zeros(8000, dtype=np.float32))
        conv.feed(np.zeros(FRAME * 10, dtype=np.float32))
        conv.feed(user_audio[message])
        end_of_speech = time.perf_counter()
        first_audio = eot = None
        transcript = ""
        k = 0
        deadline = end_of_speech + 30
        while first_audio is None and time.perf_counter() < deadline:
            k += 1
            delay = end_of_speech + k * FRAME / RATE - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            for event in conv.feed(np.zeros(FRAME, dtype=np.float32)):
                if isinstance(event, EndOfTurn):
                    eot, transcript = event, event.transcript.text
                elif isinstance(event, ReplyAudio) and first_audio is None:
                    first_audio = time.perf_counter()
        done = None
        for event in conv.wait_reply(60):
            if isinstance(event, ReplyDone):
                done = event
        timings = done.timings_ms if done else {}
        asr_left = timings.get("asr", float("nan"))
        rows.append({
            "message": message, "transcript": transcript, "wer": round(wer(message, transcript), 3),
            "end_of_speech_to_first_audio": (first_audio - end_of_speech) * 1000 if first_audio else float("nan"),
            "end_of_turn_to_first_audio": timings.get("end_of_turn_to_first_audio", float("nan")),
            "asr_compute": timings.get("asr_compute", float("nan")),
            "asr_after_end_of_turn": asr_left,
            "planning_to_first_sentence": timings.get("first_sentence", float("nan")) - asr_left,
            "tts_first_sentence": timings.get("tts_first", float("nan")),
            "reply_source": done.turn.reply.source if done and done.turn else None,
        })
    conv.close()

    text_first = []
    for i, message in enumerate(messages):
        if i % CONVERSATION_LENGTH == 0:
            agent.reset()
        t = time.perf_counter()
        speaker = ReplySpeaker(agent.stream(message), tts, settings.speech.tts_queue_size).start()
        speaker.get(timeout=60)
        text_first.append((time.perf_counter() - t) * 1000)
        for _ in speaker:
            pass

    def col(name: str) -> list[float]:
        return [r[name] for r in rows if np.isfinite(r[name])]

    return {
        "turns": turns,
        "end_of_turn_ms": settings.speech.end_of_turn_ms,
        "vad": settings.speech.vad_engine,
        "asr_model": str(asr.model_path), "asr_threads": settings.speech.asr_threads,
        "tts": f"{tts.engine}:{getattr(tts, 'voice').voice}", "llm_backend": settings.llm.backend,
        "planner_mode": settings.planner_mode,
        "cold_start_ms": round(cold_start_ms, 1),
        "end_to_end_ms": {
            "end_of_speech_to_first_audio": _stats(col("end_of_speech_to_first_audio")),
            "end_of_turn_to_first_audio": _stats(col("end_of_turn_to_first_audio")),
            "text_to_first_audio": _stats(text_first),
        },
        "stages_ms": {name: _stats(col(name)) for name in
                      ("asr_compute", "asr_after_end_of_turn", "planning_to_first_sentence", "tts_first_sentence")},
        "goals_ms_p50": {"end_of_speech_to_first_audio": 1500, "text_to_first_audio": 800},
        "asr_wer_mean": round(float(np.mean([r["wer"] for r in rows])), 3) if rows else None,
        "reply_sources": {s: sum(r["reply_source"] == s for r in rows) for s in {r["reply_source"] for r in rows}},
        "per_turn": [{k: (round(v, 1) if isinstance(v, float) else v) for k, v in r.items()} for r in rows],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores, load {os.getloadavg()[0]:.1f}",
    }


def format_table(result: dict) -> str:
    lines = [f"{'figure':40} {'p50 ms':>9} {'p95 ms':>9}"]
    for group in ("end_to_end_ms", "stages_ms"):
        for name, s in result[group].items():
            lines.append(f"{name:40} {s['p50']:>9} {s['p95']:>9}")
    lines.append(f"turns {result['turns']}, end_of_turn_ms {result['end_of_turn_ms']}, ASR WER {result['asr_wer_mean']}, "
                 f"cold start {result['cold_start_ms']} ms, {result['machine']}")
    return "\n".join(lines)
