"""Attune's Gradio demo: chat, voice, webcam and the talking avatar, with the agent's reasoning visible.

Run ``python app.py`` (or ``./bootstrap.sh demo``); it serves http://127.0.0.1:7860 on the embedded defaults.
Each browser session gets its own conversation (an Agent fork sharing the loaded models).
Set ATTUNE_UI_AUTH=user:password to require a login when you expose it beyond this machine.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # nothing leaves the machine
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from agent import Agent, InputError, Settings  # noqa: E402
from agent.planner.llm import LLMError  # noqa: E402
from agent.store import ConversationStore, conversation_markdown  # noqa: E402
from agent.types import TurnResult  # noqa: E402

EXPORT_DIR = Path(tempfile.gettempdir()) / "attune-exports"
MEDIA_DIR = Path(tempfile.gettempdir()) / "attune-media"
PLAYER_JS = (Path(__file__).resolve().parent / "agent" / "ui" / "player.js").read_text(encoding="utf-8")


class Session:
    """One browser session: its conversation (an Agent fork) and, once it speaks, its voice and avatar."""

    def __init__(self, agent: Agent):
        self.agent = agent
        self._voice = None
        self.conversation = None  # the hands-free VoiceConversation, started with the live microphone
        self.turns = 0  # typed or recorded turns started: ids for the avatar player
        self.live_turn = 0
        self.live_urls: list[str] = []
        self.live_answer: dict | None = None  # the chat message the hands-free reply streams into
        # Hands-free reply segments are rendered off the microphone handler: a handler busy rendering a video
        # holds up the chunks behind it, and on a loaded machine they came back late and out of order.
        self._live_renders = None
        self.live_pending: list = []  # this turn's segment renders (futures), in the order they are said
        # The chat as the server knows it. The page's copy can lag behind a stream (the microphone sends its
        # next chunk before the last answer is drawn), so handlers never read the chat back from the page.
        self.chat: list[dict] = []

    def render_live(self, chunk, path: Path) -> None:
        """Start rendering one hands-free reply segment; ``take_rendered`` collects it when it is ready."""
        if self._live_renders is None:
            from concurrent.futures import ThreadPoolExecutor

            self._live_renders = ThreadPoolExecutor(max_workers=1, thread_name_prefix="attune-live-render")
        self.live_pending.append(self._live_renders.submit(self.voice.renderer.render_chunk, chunk, path))

    def take_rendered(self) -> bool:
        """Move the segments rendered so far (in order) into the player's list; True when the list grew."""
        grew = False
        while self.live_pending and self.live_pending[0].done():
            render = self.live_pending.pop(0).result()
            self.live_urls.append(media_url(render.path))
            grew = True
        return grew

    def drop_live_renders(self) -> None:
        for future in self.live_pending:
            future.cancel()
        self.live_pending = []
        self.live_urls = []

    @property
    def voice(self):
        if self._voice is None:
            from agent.spoken import Voice

            self._voice = Voice(self.agent, video=True, out_dir=MEDIA_DIR)
        return self._voice


class Demo:
    """The models, loaded once; one Agent fork per browser session."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = ConversationStore(settings.store_path)
        self.base = Agent(settings, store=self.store)
        self._variants: dict[tuple, Agent] = {}
        self._asr = None

    @property
    def asr(self):
        if self._asr is None:
            from agent.speech.asr import load_asr

            self._asr = load_asr(self.settings)
            self._asr.setup()
        return self._asr

    def setup(self) -> "Demo":
        self.base.setup()
        from agent.spoken import shared_tts

        shared_tts(self.settings, None)  # the avatar's voice, loaded before the first visitor
        return self

    def avatars(self) -> list[str]:
        return sorted(p.stem for p in self.settings.avatars_dir.glob("*.toml"))

    def agent_for(self, avatar: str, llm_url: str, llm_model: str, llm_key: str) -> Agent:
        """A new conversation with the chosen avatar and LLM (variants share the embedder and data)."""
        key = (avatar, llm_url.strip(), llm_model.strip(), llm_key)
        if key == (self.settings.avatar, "", "", "") or key[:3] == (self.settings.avatar, "", ""):
            return self.base.fork()
        if key not in self._variants:
            update: dict = {"avatar": avatar}
            if llm_url.strip():
                update["llm"] = self.settings.llm.model_copy(update={
                    "backend": "openai", "base_url": llm_url.strip(), "model": llm_model.strip() or "default",
                    "api_key": llm_key or "none"})
            settings = Settings(**{**self.settings.model_dump(), **update})
            self._variants[key] = Agent(settings, store=self.store)
        return self._variants[key].fork()


# -- views of the turn record ------------------------------------------------------------------------------
def perception_markdown(turn: TurnResult) -> str:
    p = turn.perception
    rows = []
    for name in ("text", "voice", "face", "fused"):
        e = getattr(p, name)
        if e is None:
            continue
        rows.append(f"| {name} | {e.fine_label or e.label} | {e.confidence:.2f} | {e.vad.valence:+.2f} | "
                    f"{e.vad.arousal:+.2f} | {e.vad.dominance:+.2f} |")
    table = "| modality | emotion | conf. | V | A | D |\n|---|---|---|---|---|---|\n" + "\n".join(rows)
    extra = f"\n\n*{p.explanation}*" if p.explanation else ""
    if p.warnings:
        extra += "\n\n" + "\n".join(f"- ⚠ {w}" for w in p.warnings)
    return table + extra


def plan_markdown(turn: TurnResult) -> str:
    plan = turn.plan
    lines = [
        f"1. **Emotion** — {plan.emotion}",
        f"2. **Scenario** — {plan.event_scenario}",
        f"3. **Cause** — {plan.emotion_cause}",
        f"4. **Goal** — {plan.goal}",
        "",
        f"**Stage:** {plan.stage} · **Strategy:** {plan.strategy}  ",
        f"*{plan.strategy_reason}*",
        "",
        f"**Agent emotion:** {plan.agent_emotion.label} (V {plan.agent_emotion.vad.valence:+.2f}, "
        f"A {plan.agent_emotion.vad.arousal:+.2f}) · **reply from:** {turn.reply.source} · **planner:** {plan.mode}",
    ]
    state = turn.state
    if state.open_question:
        lines.append(f"\n**Their question, answered first:** {state.open_question}")
    lines.append(f"\n**Safety so far:** {state.safety.check_ins} check-in(s), {state.safety.escalations} escalation(s)"
                 + (f", check-in answer: {state.safety.check_in_answer}" if state.safety.check_in_asked else ""))
    if turn.safety.escalate:
        lines.insert(0, f"🛟 **Crisis resources given** — {turn.safety.reason}\n")
    if turn.reply.gate is not None and not turn.reply.gate.passed and turn.reply.candidate:
        lines.append(f"\n<details><summary>LLM draft rejected by the quality gate</summary>\n\n"
                     f"“{turn.reply.candidate}” — {'; '.join(turn.reply.gate.reasons)}\n</details>")
    return "\n".join(lines)


def timings_markdown(turn: TurnResult) -> str:
    return " · ".join(f"{k} {v:.0f} ms" for k, v in turn.timings_ms.items())


def emotion_chart(history: list[TurnResult]):
    fig, ax = plt.subplots(figsize=(4.2, 3.4), dpi=100)
    ax.axhline(0, color="#ccc", lw=0.8)
    ax.axvline(0, color="#ccc", lw=0.8)
    if history:
        for points, colour, name in (
            ([(t.perception.fused.vad.valence, t.perception.fused.vad.arousal) for t in history], "#3b82f6", "you"),
            ([(t.plan.agent_emotion.vad.valence, t.plan.agent_emotion.vad.arousal) for t in history], "#f59e0b", "agent"),
        ):
            xs, ys = zip(*points)
            ax.plot(xs, ys, "-o", color=colour, label=name, ms=4, lw=1.2, alpha=0.85)
            ax.annotate(str(len(points)), (xs[-1], ys[-1]), fontsize=8, xytext=(3, 3), textcoords="offset points")
        ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.set(xlim=(-1, 1), ylim=(-1, 1), xlabel="valence", ylabel="arousal", title="Emotion over the conversation")
    ax.title.set_fontsize(10)
    fig.tight_layout()
    plt.close(fig)
    return fig


def message_text(message: dict) -> str:
    """A chat message's text (Gradio hands messages back with content as a list of parts)."""
    content = message.get("content")
    if isinstance(content, list):
        return " ".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content).strip()
    return str(content or "")


def friendly(error: Exception) -> str:
    if isinstance(error, InputError):
        return str(error)
    if isinstance(error, LLMError):
        return f"The language model is not available right now ({error}). Try again, or switch back to the embedded model."
    return f"Something went wrong ({type(error).__name__}). Your conversation is safe; please try again."


# -- the page ----------------------------------------------------------------------------------------------
PLAYER_HTML = ('<div class="avatar-player"><video playsinline controls width="100%" '
               'style="border-radius:12px;background:#eef2f6;aspect-ratio:1/1"></video></div>')


def media_url(path: Path | str) -> str:
    return f"/gradio_api/file={path}"


def build(demo: Demo) -> gr.Blocks:
    with gr.Blocks(title="Attune", elem_id="attune") as page:
        session_state = gr.State(None)  # this browser session's Session
        gr.Markdown("# Attune\nA private, local listener. Type or speak, and see what it perceived and why it answers "
                    "as it does. *Not a therapist or a crisis service.*")
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Conversation", height=420, elem_id="chat")
                with gr.Row():
                    message = gr.Textbox(placeholder="How are you feeling?", show_label=False, scale=5,
                                         elem_id="message", max_length=4000)
                    send = gr.Button("Send", variant="primary", scale=1, elem_id="send")
                with gr.Row():
                    recording = gr.Audio(sources=["microphone", "upload"], type="filepath", label="Speak instead",
                                         elem_id="recording", scale=3)
                    send_voice = gr.Button("Send recording", scale=1, elem_id="send-voice")
                status = gr.Markdown("", elem_id="status")
                with gr.Row():
                    new = gr.Button("New conversation", elem_id="new")
                    export_json = gr.DownloadButton("Export JSON", elem_id="export-json")
                    export_md = gr.DownloadButton("Export Markdown", elem_id="export-md")
            with gr.Column(scale=2):
                gr.HTML(PLAYER_HTML, js_on_load=PLAYER_JS, elem_id="avatar")
                segments = gr.Textbox(visible="hidden", elem_id="segments")
                speak = gr.Checkbox(True, label="Answer with voice and face", elem_id="speak")
                with gr.Tab("Reasoning"):
                    plan_view = gr.Markdown("*The chain of empathy appears here after your first message.*",
                                            elem_id="plan")
                    perception_view = gr.Markdown("", elem_id="perception")
                    timings_view = gr.Markdown("", elem_id="timings")
                with gr.Tab("Emotion chart"):
                    chart = gr.Plot(emotion_chart([]), elem_id="chart")
                with gr.Tab("Hands-free"):
                    gr.Markdown("Talk naturally: a pause of about 0.7 s ends your turn; speaking over the avatar "
                                "stops it, a short 'mhm' does not.")
                    live = gr.Audio(sources=["microphone"], streaming=True, type="numpy", label="Conversation mode",
                                    elem_id="live-mic")
                    live_state = gr.Markdown("", elem_id="live-state")
                with gr.Tab("Your face"):
                    face = gr.Image(sources=["webcam", "upload"], type="numpy", label="Optional: read my expression",
                                    elem_id="face", height=240)
                    clip = gr.Video(sources=["webcam", "upload"], label="Or record a clip: your words and your face",
                                    elem_id="clip", height=240, include_audio=True)
                    send_clip = gr.Button("Send clip", elem_id="send-clip")
                with gr.Tab("Settings"):
                    avatar = gr.Dropdown(demo.avatars(), value=demo.settings.avatar, label="Avatar", elem_id="avatar-choice")
                    llm_url = gr.Textbox(label="OpenAI-compatible endpoint (empty: embedded SmolLM2)",
                                         placeholder="http://localhost:8000/v1")
                    llm_model = gr.Textbox(label="Model name", placeholder="Qwen/Qwen2.5-7B-Instruct")
                    llm_key = gr.Textbox(label="API key", type="password")
                    apply = gr.Button("Apply (starts a new conversation)")

        def ensure(session: Session | None) -> Session:
            return session if session is not None else Session(demo.base.fork())

        def run_turn(text: str | None, audio_path: str | None, image, session: Session | None, speak_on: bool,
                     video_path: str | None = None):
            """One turn, streamed to the page: chat text per sentence, avatar segments as they are rendered.

            A message sent while the last reply is still streaming gets its own turn, run after that one (the agent
            takes one turn at a time); each turn writes only to its own two chat messages."""
            session = ensure(session)
            history = session.chat
            keep = gr.update()
            if not (text or "").strip() and not audio_path and not video_path:
                yield history, session, "Type a message or record one first.", keep, keep, keep, keep, keep, keep
                return
            asked = {"role": "user", "content": text if (text or "").strip() else "(spoken) …"}
            answer = {"role": "assistant", "content": ""}
            history += [asked, answer]
            session.turns += 1
            turn_id = f"{session.agent.session_id}-{session.turns}"
            urls: list[str] = []
            # the message box is cleared once, now: later updates must not wipe what the person types meanwhile
            yield history, session, "", keep, keep, keep, keep, "" if text else keep, keep
            try:
                if speak_on:
                    spoken = session.voice.speak(text or None, audio=audio_path, image=image, video=video_path)
                    for segment in spoken:
                        answer["content"] = (answer["content"] + " " + segment.text).strip()
                        if segment.video_path:
                            urls.append(media_url(segment.video_path))
                        yield (history, session, "", keep, keep, keep, keep, keep,
                               json.dumps({"turn": turn_id, "urls": urls}))
                    turn = spoken.turn
                else:
                    stream = session.agent.stream(text or None, audio=audio_path, image=image, video=video_path)
                    for sentence in stream:
                        answer["content"] = (answer["content"] + " " + sentence.text).strip()
                        yield history, session, "", keep, keep, keep, keep, keep, keep
                    turn = stream.turn
                if turn is None:
                    raise RuntimeError("the reply was interrupted")
                if turn.transcript and not (text or "").strip():
                    asked["content"] = f"(spoken) {turn.transcript}"
                answer["content"] = turn.reply.text
                notes = "; ".join(turn.warnings)
                yield (history, session, f"ℹ {notes}" if notes else "", plan_markdown(turn), perception_markdown(turn),
                       timings_markdown(turn), emotion_chart(session.agent.history), keep,
                       json.dumps({"turn": turn_id, "urls": urls}) if urls else keep)
            except Exception as error:  # noqa: BLE001 — the page shows a sentence, never a traceback
                history[:] = [m for m in history if m is not asked and m is not answer]
                # the words come back into the box so nothing typed is lost
                yield history, session, f"⚠ {friendly(error)}", keep, keep, keep, keep, text or keep, keep

        outputs = [chat, session_state, status, plan_view, perception_view, timings_view, chart, message, segments]
        text_inputs = [message, gr.State(None), face, session_state, speak]
        # "multiple": a message sent while a reply streams is not dropped (Gradio's default ignores the click)
        send.click(run_turn, text_inputs, outputs, concurrency_limit=2, trigger_mode="multiple")
        message.submit(run_turn, text_inputs, outputs, concurrency_limit=2, trigger_mode="multiple")
        send_voice.click(run_turn, [gr.State(None), recording, face, session_state, speak], outputs,
                         concurrency_limit=2, trigger_mode="multiple")

        def run_clip(video_path: str | None, image, session: Session | None, speak_on: bool):
            """A recorded clip: its words are transcribed and its frames read for the face."""
            if not video_path:
                yield (session.chat if session else [], session, "Record or upload a clip first.",
                       *[gr.update()] * 6)
                return
            yield from run_turn(None, None, image, session, speak_on, video_path)

        send_clip.click(run_clip, [clip, face, session_state, speak], outputs, concurrency_limit=2,
                        trigger_mode="multiple")

        def on_live(chunk, session: Session | None):
            """Microphone audio as it is recorded → turn-taking → reply segments into the player."""
            from agent.speech.conversation import (Backchannel, ConversationError, EndOfTurn, NoSpeech,
                                                   PlaybackStopped, ReplyAudio, ReplyDone, SpeechStarted)

            session = ensure(session)
            history = session.chat
            keep = gr.update()
            if chunk is None:
                return history, session, keep, keep, keep, keep, keep, keep, keep
            try:
                if session.conversation is None:
                    from agent.speech.conversation import VoiceConversation

                    session.conversation = VoiceConversation(session.agent, demo.asr, session.voice.tts,
                                                             demo.settings)
                rate, samples = chunk
                conv = session.conversation
                events = conv.feed(samples, rate) + conv.poll(0.0)
            except Exception as error:  # noqa: BLE001
                return history, session, f"⚠ {friendly(error)}", keep, keep, keep, keep, keep, keep
            status, panels, player = keep, [keep, keep, keep, keep], keep
            state = conv.state.replace("_", " ")
            for event in events:
                if isinstance(event, SpeechStarted) and not event.during_reply:
                    state = "hearing you…"
                elif isinstance(event, EndOfTurn):
                    session.live_turn += 1
                    session.drop_live_renders()
                    session.live_answer = {"role": "assistant", "content": ""}
                    history += [{"role": "user", "content": f"(spoken) {event.transcript.text}"}, session.live_answer]
                elif isinstance(event, ReplyAudio):
                    index = len(session.live_urls) + len(session.live_pending)
                    path = MEDIA_DIR / f"live-{session.agent.session_id}-{session.live_turn}-{index:02d}.mp4"
                    session.render_live(event.chunk, path)
                    if session.live_answer is not None:
                        answer = session.live_answer
                        answer["content"] = (message_text(answer) + " " + event.chunk.text).strip()
                elif isinstance(event, PlaybackStopped) and event.barge_in:
                    session.drop_live_renders()
                    player = json.dumps({"turn": f"stopped-{session.live_turn}", "urls": [], "stop": True})
                    state = "stopped: you spoke"
                elif isinstance(event, Backchannel):
                    state = "heard a backchannel, still talking"
                elif isinstance(event, ReplyDone) and event.turn is not None:
                    turn = event.turn
                    panels = [plan_markdown(turn), perception_markdown(turn), timings_markdown(turn),
                              emotion_chart(session.agent.history)]
                elif isinstance(event, NoSpeech):
                    state = "I didn't catch any words"
                elif isinstance(event, ConversationError):
                    status = f"⚠ {event.message}"
            try:
                if session.take_rendered():
                    player = json.dumps({"turn": f"live-{session.live_turn}", "urls": session.live_urls})
            except Exception as error:  # noqa: BLE001 — a segment that failed to render: the words are in the chat
                session.drop_live_renders()
                status = f"⚠ {friendly(error)}"
            return (history, session, status, *panels, player, f"*{state}*")

        live.stream(on_live, [live, session_state],
                    [chat, session_state, status, plan_view, perception_view, timings_view, chart, segments, live_state],
                    # one at a time: the chunks of a recording must reach the turn-taking in the order spoken
                    # (the handler is quick; the reply and its video run in their own threads)
                    stream_every=0.25, time_limit=900, concurrency_limit=1)

        def on_new(session: Session | None):
            fresh = Session(ensure(session).agent.fork())
            return ([], fresh, "New conversation.", "*The chain of empathy appears here after your first message.*",
                    "", "", emotion_chart([]))

        new.click(on_new, [session_state], [chat, session_state, status, plan_view, perception_view, timings_view, chart])

        def on_apply(avatar_name: str, url: str, model: str, key: str):
            try:
                agent = demo.agent_for(avatar_name, url or "", model or "", key or "")
            except Exception as error:  # noqa: BLE001
                return gr.update(), gr.update(), f"⚠ {friendly(error)}"
            return [], Session(agent), f"New conversation with {agent.avatar.name}" + (f" on {url}" if url else "") + "."

        apply.click(on_apply, [avatar, llm_url, llm_model, llm_key], [chat, session_state, status])

        def export(session: Session | None, fmt: str):
            agent = ensure(session).agent
            EXPORT_DIR.mkdir(parents=True, exist_ok=True)
            sid = agent.session_id or "conversation"
            if fmt == "json":
                path = EXPORT_DIR / f"attune-{sid}.json"
                path.write_text(json.dumps({"session_id": sid, "turns": [t.model_dump(mode="json") for t in agent.history]},
                                           ensure_ascii=False, indent=2))
            else:
                path = EXPORT_DIR / f"attune-{sid}.md"
                path.write_text(conversation_markdown(sid, agent.history))
            return str(path)

        export_json.click(lambda s: export(s, "json"), [session_state], export_json)
        export_md.click(lambda s: export(s, "markdown"), [session_state], export_md)
    return page


def ui_setting(name: str, gradio_name: str, default: str) -> str:
    """ATTUNE_UI_<name>, else Gradio's own variable (GRADIO_SERVER_NAME/PORT), else the default."""
    return os.environ.get(f"ATTUNE_UI_{name}") or os.environ.get(gradio_name) or default


def main() -> None:
    settings = Settings()
    demo = Demo(settings).setup()
    page = build(demo)
    auth = os.environ.get("ATTUNE_UI_AUTH")
    page.queue(default_concurrency_limit=4).launch(
        server_name=ui_setting("HOST", "GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(ui_setting("PORT", "GRADIO_SERVER_PORT", "7860")),
        auth=tuple(auth.split(":", 1)) if auth else None, show_error=False,
        allowed_paths=[str(EXPORT_DIR), str(MEDIA_DIR)])


if __name__ == "__main__":
    main()
