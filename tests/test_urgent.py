"""Signs of a medical emergency are met first with where to get help now (urgent.py, data/urgent_care.json)."""
from __future__ import annotations

import pytest

from agent.planner.urgent import UrgentCare

BABY = [
    "hi. i'm kind of freaking out a little, my baby isn't doing well and i don't really know what to do",
    "my son is 7 months, we all tested positive for covid a couple days ago. he's had a high fever since last night "
    "and now he won't eat or drink anything, he just pushes the bottle away and cries",
    "um, it's not really about how i'm feeling right now, i'm worried about HIM. his diaper's been dry since this "
    "morning and his lips look kind of dry. is that dehydration? should i take him to the ER?",
    "what do you mean the cost?? he's a baby, i just need to know if a dry diaper all day and not drinking is "
    "serious. my husband says wait till morning and call the pediatrician. his temp was 103.8 an hour ago",
    "the most urgent thing is whether my 7 month old needs a doctor tonight. no wet diaper in like 10 hours, fever "
    "almost 104, won't drink. can you just tell me yes or no",
]


@pytest.fixture(scope="module")
def urgent(settings):
    return UrgentCare(settings.data_dir)


@pytest.mark.parametrize("message, sign", [
    ("i've had chest pain all evening and it goes down my left arm", "chest_pain"),
    ("my dad's speech is slurred and his face looks droopy on one side", "stroke"),
    ("stepped on a rusty nail this morning and now my jaw feels kind of tight", "tetanus"),
    ("my grandma is unconscious on the kitchen floor", "unresponsive"),
])
def test_emergency_signs_are_read(urgent, message, sign):
    assert urgent.sign(message, message).name == sign


@pytest.mark.parametrize("message", [
    "im so stressed out about this project at work, my chest feels tight just thinking about it",  # round 35
    "my baby wont take the bottle from my husband, only from me",
    "i feel like i cant breathe when i think about the exam",
    "my jaw hurts from clenching all night",
])
def test_ordinary_worry_is_not_an_emergency(urgent, message):
    assert urgent.sign(message, message) is None


def test_a_baby_with_dehydration_signs_is_sent_to_a_doctor_tonight_every_time_it_is_asked(fresh_agent):
    """Round 38: 'can you just tell me yes or no' whether a 7-month-old with a fever near 104, no wet diaper in ten
    hours and refusing to drink needs a doctor tonight was answered 'No, babies pick up infections…'."""
    turns = [fresh_agent.respond(m) for m in BABY]
    for turn in turns[1:]:
        assert turn.reply.utterances[0].startswith("urgent:infant_dehydration"), turn.reply.text
        assert "tonight" in turn.reply.text and not turn.reply.text.startswith("No")


def test_a_question_right_after_the_emergency_was_met_is_about_it(fresh_agent):
    """Round 39: after "Please get your baby seen tonight…", "is that really bad or am i overreacting?" and "should
    i call someone or just go" heard a line about strong feelings and "give it a few days"."""
    messages = ["my son is 7 months. he's had a really high fever since last night, like 103. and he wont eat or "
                "drink anything",
                "ok. his last wet diaper was like this morning i think, maybe 8 hours ago? and his lips look kinda dry. "
                "is that really bad or am i overreacting?",
                "um ok. is it bad for a baby or not?? should i call someone or just go"]
    for turn in [fresh_agent.respond(m) for m in messages]:
        assert turn.reply.utterances[0].startswith("urgent:infant_dehydration"), turn.reply.text
        assert "few days" not in turn.reply.text



def test_with_an_llm_planner_the_emergency_line_is_still_the_reply(settings):
    """In llm mode the model writes the reply, but never this one: the written line is said, the model not asked
    (its endpoint here is a closed port, which would otherwise show as a warning)."""
    import socket

    from agent import Agent, Settings

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    agent = Agent(Settings(llm={"backend": "openai", "base_url": f"http://127.0.0.1:{port}/v1", "timeout_s": 2,
                                "max_retries": 0})).setup()
    assert agent.settings.planner_mode == "llm"
    turn = agent.respond(BABY[1])
    assert turn.reply.utterances[0].startswith("urgent:infant_dehydration"), turn.reply.text
    assert not any("LLM" in w for w in turn.warnings), turn.warnings
