"""CLI: ``attune transcribe``, ``attune say``, ``attune talk`` and ``attune bench voice`` (registered by agent.cli)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _settings(args: argparse.Namespace):
    from ..cli import settings_from

    settings = settings_from(args)
    if getattr(args, "engine", None):
        settings.speech.tts_engine = args.engine
        settings.speech.tts_voice = None
    if getattr(args, "voice", None):
        settings.speech.tts_voice = args.voice
    if getattr(args, "deterministic", False):
        settings.speech.tts_deterministic = True
    if getattr(args, "end_of_turn_ms", None):
        settings.speech.end_of_turn_ms = args.end_of_turn_ms
    return settings


def _voice(settings, args):
    from .tts import resolve_voice
    from .types import VoiceProfile

    voice = resolve_voice(settings)
    if getattr(args, "engine", None) and args.engine != voice.engine:
        voice = VoiceProfile(engine=args.engine, voice=args.voice or ("joe" if args.engine == "piper" else "en-us+f3"))
    elif getattr(args, "voice", None):
        voice = voice.model_copy(update={"voice": args.voice})
    return voice


def cmd_transcribe(args: argparse.Namespace) -> int:
    from ..cli import emit
    from .asr import transcribe_file

    transcript = transcribe_file(_settings(args), args.file)

    def human() -> None:
        print(transcript.text or "(no speech)")
        for warning in transcript.warnings:
            print(f"note: {warning}", file=sys.stderr)

    emit(args, transcript.model_dump(mode="json"), human)
    return 0


def cmd_say(args: argparse.Namespace) -> int:
    import time

    from ..audio import write_wav
    from ..cli import emit
    from ..text import InputError
    from .prosody import prosody_for, resolve_emotion
    from .tts import concatenate, load_tts
    from ..avatar.lipsync import viseme_events  # one phoneme→viseme table (data/visemes.json) for voice and face

    text = args.text if args.text is not None else sys.stdin.read()
    if not text or not text.strip():
        raise InputError("nothing to say: the text is empty")
    settings = _settings(args)
    emotion = resolve_emotion(args.emotion, settings.speech.prosody_path)
    if not 0.0 <= args.intensity <= 1.0:
        raise InputError("--intensity must be between 0 and 1")
    voice = _voice(settings, args)
    tts = load_tts(settings, voice)
    t = time.perf_counter()
    tts.setup()
    load_ms = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    chunks, first_ms = [], None
    for chunk in tts.synthesize(text, emotion, args.intensity):
        first_ms = first_ms if first_ms is not None else (time.perf_counter() - t) * 1000
        chunks.append(chunk)
    synth_ms = (time.perf_counter() - t) * 1000
    if not chunks:
        raise InputError("nothing to say: the text has no speakable words")
    audio, rate, phonemes = concatenate(chunks)
    out = write_wav(args.out, audio, rate)
    payload = {
        "out": str(out), "text": text.strip(), "engine": voice.engine, "voice": voice.voice,
        "emotion": emotion, "intensity": args.intensity, "sample_rate": rate,
        "duration_s": round(len(audio) / rate, 3),
        "prosody": prosody_for(emotion, args.intensity, voice, settings.speech.prosody_path).model_dump(),
        "sentences": [], "phonemes": [p.model_dump() for p in phonemes],
        "visemes": [v.as_dict() for v in viseme_events(phonemes)],
        "timings_ms": {"load": round(load_ms, 1), "first_sentence": round(first_ms or 0, 1), "total": round(synth_ms, 1)},
    }
    offset = 0.0
    for chunk in chunks:
        payload["sentences"].append({"index": chunk.index, "text": chunk.text, "start": round(offset, 4),
                                     "end": round(offset + chunk.duration, 4)})
        offset += chunk.duration
    if args.measure:
        from .analysis import measure

        payload["measured"] = measure(audio, rate, sum(1 for p in phonemes if p.phoneme))

    def human() -> None:
        print(f"wrote {out} ({payload['duration_s']} s, {emotion} {args.intensity}, {voice.engine}:{voice.voice}, "
              f"{len(phonemes)} phoneme spans, synthesised in {synth_ms:.0f} ms)")
        if args.measure:
            print(payload["measured"])

    emit(args, payload, human)
    return 0


def cmd_talk(args: argparse.Namespace) -> int:
    """Terminal voice mode. No sound device library ships here, so it plays a recording through the loop."""
    import json
    import time

    import numpy as np

    from ..audio import load_audio, write_wav
    from ..pipeline import Agent
    from .asr import load_asr
    from .conversation import (Backchannel, ConversationError, EndOfTurn, PlaybackStopped, ReplyAudio, ReplyDone,
                               VoiceConversation)
    from .tts import load_tts

    if not args.from_file:
        try:
            import sounddevice  # noqa: F401
        except ImportError:
            raise RuntimeError("no microphone library is installed (sounddevice); use --from-file F.wav") from None
        raise RuntimeError("live microphone mode is not implemented yet; use --from-file F.wav")
    settings = _settings(args)
    samples = load_audio(args.from_file, 16000, max_seconds=settings.speech.max_audio_seconds)
    agent = Agent(settings).setup()
    conv = VoiceConversation(agent, load_asr(settings), load_tts(settings), settings).warm_up()
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    replies: list[list] = []
    written = 0
    log: list[dict] = []

    def handle(events) -> None:
        nonlocal written
        for e in events:
            if isinstance(e, ReplyAudio):
                if not replies or replies[-1] is None:
                    replies.append([])
                replies[-1].append(e.chunk)
                record = {"event": "reply_audio", "sentence": e.chunk.text, "since_end_of_turn_ms": e.since_end_of_turn_ms}
            elif isinstance(e, EndOfTurn):
                record = {"event": "end_of_turn", "you": e.transcript.text, "at": e.at}
            elif isinstance(e, ReplyDone):
                record = {"event": "reply_done", "timings_ms": e.timings_ms}
                if replies and replies[-1] is not None:
                    chunks = replies[-1]
                    written += 1
                    path = write_wav(out_dir / f"reply_{written}.wav", np.concatenate([c.audio for c in chunks]),
                                     chunks[0].sample_rate)
                    record["wav"] = str(path)
                    replies.append(None)
            elif isinstance(e, PlaybackStopped):
                record = {"event": "playback_stopped", "barge_in": e.barge_in, "at": e.at}
            elif isinstance(e, Backchannel):
                record = {"event": "backchannel", "at": e.at, "duration": e.duration}
            elif isinstance(e, ConversationError):
                record = {"event": "error", "message": e.message}
            else:
                continue
            log.append(record)
            if not args.json:
                print(json.dumps(record, ensure_ascii=False))

    frame = 512
    tail = np.zeros(int(16000 * (settings.speech.end_of_turn_ms / 1000 + 0.5)), dtype=np.float32)
    for audio in (samples, tail):
        for i in range(0, len(audio), frame):
            handle(conv.feed(audio[i:i + frame]))
            if args.realtime:
                time.sleep(frame / 16000)
            elif conv._job is not None and not args.realtime:
                handle(conv.wait_reply(120))  # a file cannot wait for us: let each reply finish first
                handle(conv.playback_done())
    handle(conv.wait_reply(120))
    conv.close()
    if args.json:
        print(json.dumps({"events": log}, ensure_ascii=False, indent=2))
    return 0


def cmd_bench_voice(args: argparse.Namespace) -> int:
    from evals.voice_latency import bench_voice_latency

    from ..cli import emit

    result = bench_voice_latency(_settings(args), turns=args.turns)

    def human() -> None:
        from evals.voice_latency import format_table

        print(format_table(result))

    emit(args, result, human)
    return 0


def register(sub, bench, common) -> None:
    p = sub.add_parser("transcribe", parents=[common], help="speech recognition: text, word times, language")
    p.add_argument("file", help="audio file (wav, flac, ogg, mp3, webm, m4a, … any rate, mono or stereo)")
    p.set_defaults(func=cmd_transcribe)

    p = sub.add_parser("say", parents=[common], help="emotional speech with its phoneme/viseme timeline")
    p.add_argument("text", nargs="?", help="what to say (read from stdin when omitted)")
    p.add_argument("--emotion", default="neutral", help="neutral, joy, sadness, anger, fear, disgust, surprise, calm")
    p.add_argument("--intensity", type=float, default=0.7, help="0 (neutral) … 1 (full)")
    p.add_argument("--out", required=True, help="WAV file to write")
    p.add_argument("--engine", choices=["piper", "espeak"], help="default: the avatar's voice")
    p.add_argument("--voice", help="piper: joe or a .onnx path; espeak: e.g. en-us+f3")
    p.add_argument("--avatar", help="avatar profile whose voice to use")
    p.add_argument("--deterministic", action="store_true", help="identical audio for identical text (Piper)")
    p.add_argument("--measure", action="store_true", help="also measure F0, level, rate on the result")
    p.set_defaults(func=cmd_say)

    p = sub.add_parser("talk", parents=[common], help="voice conversation (--from-file plays a recording through it)")
    p.add_argument("--from-file", help="a recording of the user's side")
    p.add_argument("--out-dir", default="talk_out", help="where reply_N.wav go")
    p.add_argument("--realtime", action="store_true", help="feed the file at real-time pace (barge-in possible)")
    p.add_argument("--avatar")
    p.add_argument("--end-of-turn-ms", type=int)
    p.set_defaults(func=cmd_talk)

    p = bench.add_parser("voice", parents=[common], help="voice-turn latency (ASR, planning, TTS, end to end)")
    p.add_argument("--turns", type=int, default=10)
    p.set_defaults(func=cmd_bench_voice)
