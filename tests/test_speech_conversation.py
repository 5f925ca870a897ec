"""Voice conversation on synthesised streams: end of turn by VAD, streamed reply, barge-in, backchannels."""
from __future__ import annotations

import numpy as np
import pytest
import soxr

from agent.config import Settings
from agent.pipeline import Agent
from agent.speech.asr import load_asr
from agent.speech.conversation import (Backchannel, EndOfTurn, PlaybackStopped, ReplyAudio, ReplyDone,
                                       SpeechStarted, VoiceConversation)
from agent.speech.stream import ReplySpeaker
from agent.speech.tts import load_tts
from agent.speech.types import VoiceProfile


@pytest.fixture(scope="module")
def settings() -> Settings:
    s = Settings()
    s.speech.tts_deterministic = True
    return s


@pytest.fixture(scope="module")
def parts(settings):
    agent = Agent(settings).setup(llm=False)
    asr, tts = load_asr(settings), load_tts(settings, VoiceProfile(engine="piper", voice="joe"))
    asr.setup()
    tts.setup()
    return agent, asr, tts


@pytest.fixture(scope="module")
def voice(parts):
    _, _, tts = parts
    cache = {}

    def say(text: str) -> np.ndarray:
        if text not in cache:
            chunks = list(tts.synthesize(text, "neutral", 0.5))
            audio = np.concatenate([c.audio[: int(c.phonemes[-1].start * c.sample_rate)] for c in chunks])
            cache[text] = soxr.resample(audio, chunks[0].sample_rate, 16000).astype(np.float32)
        return cache[text]

    return say


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(16000 * seconds), dtype=np.float32)


def feed(conv, audio, step=320) -> list:
    events = []
    for i in range(0, len(audio), step):
        events += conv.feed(audio[i:i + step])
    return events


def until(conv, kind, timeout=30.0) -> list:
    events = []
    import time

    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline and not any(isinstance(e, kind) for e in events):
        events += conv.poll(0.05)
    return events


@pytest.fixture
def conv(parts, settings):
    agent, asr, tts = parts
    agent.reset()
    c = VoiceConversation(agent, asr, tts, settings)
    yield c
    c.wait_reply(30)
    c.close()


def test_end_of_turn_after_silence_threshold(conv, voice):
    events = feed(conv, np.concatenate([silence(0.3), voice("I lost my job today and I feel like a failure.")]))
    assert any(isinstance(e, SpeechStarted) for e in events)
    feed(conv, silence(0.5))
    assert not conv.replying and conv.state == "user_speaking"  # 500 ms < 700 ms: still their turn
    events = feed(conv, silence(0.3))  # the end of turn may come here already (early recognition reused)
    assert conv.replying
    events += until(conv, ReplyDone)
    eot = next(e for e in events if isinstance(e, EndOfTurn))
    assert "job" in eot.transcript.text.lower() and 0.65 <= eot.at - eot.speech_end <= 0.8
    audio = [e for e in events if isinstance(e, ReplyAudio)]
    assert audio and [e.chunk.index for e in audio] == list(range(len(audio)))
    done = next(e for e in events if isinstance(e, ReplyDone))
    assert done.turn is not None and done.turn.reply.text.startswith(audio[0].chunk.text[:10])


def test_mid_sentence_pause_does_not_end_the_turn(conv, voice):
    events = feed(conv, np.concatenate([voice("My sister moved away."), silence(0.45), voice("I miss her every day."),
                                        silence(0.9)]))
    events += until(conv, EndOfTurn) if not any(isinstance(e, EndOfTurn) for e in events) else []
    text = next(e for e in events if isinstance(e, EndOfTurn)).transcript.text.lower()
    assert "sister" in text and "miss" in text


def test_threshold_is_configurable(parts, settings, voice):
    agent, asr, tts = parts
    slow = settings.model_copy(update={"speech": settings.speech.model_copy(update={"end_of_turn_ms": 1500})})
    conv = VoiceConversation(agent, asr, tts, slow)
    feed(conv, np.concatenate([voice("I feel so lonely in the evenings."), silence(1.2)]))
    assert not conv.replying
    feed(conv, silence(0.4))
    assert conv.replying
    conv.wait_reply(30)
    conv.close()


def test_backchannel_does_not_interrupt_but_barge_in_does(conv, voice):
    feed(conv, np.concatenate([voice("I have my final exams next week and I'm terrified I'll fail."), silence(0.8)]))
    until(conv, ReplyAudio)
    assert conv.replying
    events = feed(conv, np.concatenate([voice("Mhm."), silence(0.4)]))
    assert any(isinstance(e, Backchannel) for e in events)
    assert not any(isinstance(e, PlaybackStopped) for e in events) and conv.replying
    events = feed(conv, voice("Wait, actually, I already passed the first exam yesterday."))
    stopped = [e for e in events if isinstance(e, PlaybackStopped)]
    assert stopped and stopped[0].barge_in
    assert conv.state == "user_speaking"  # the interruption becomes the user's next turn
    events = feed(conv, silence(0.9))  # the end of turn may come here already (early recognition reused)
    events += until(conv, EndOfTurn) if not any(isinstance(e, EndOfTurn) for e in events) else []
    text = next(e for e in events if isinstance(e, EndOfTurn)).transcript.text.lower()
    assert "passed" in text


def test_noise_is_not_a_turn(conv):
    rng = np.random.default_rng(1)
    events = feed(conv, np.concatenate([(rng.standard_normal(16000 * 2) * 0.01).astype(np.float32), silence(1.0)]))
    assert not any(isinstance(e, SpeechStarted) for e in events) and not conv.replying


def test_reply_speaker_streams_and_cancels(parts):
    agent, _, tts = parts
    agent.reset()
    speaker = ReplySpeaker(agent.stream("I got the promotion I worked so hard for! My family is so proud."), tts,
                           queue_size=1).start()
    first = speaker.get(timeout=30)
    assert first is not None and first.index == 0 and first.emotion in {"joy", "surprise", "neutral"}
    speaker.cancel()
    speaker.join(10)
    assert speaker.done and speaker.get(timeout=0.1) is None
    # the agent is free again: its turn lock was released by the cancelled producer
    assert agent.respond("Thanks for listening.").reply.text
