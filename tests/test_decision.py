"""Decision questions: the options read from the person's own words, said back faithfully, and weighed by a
written line for that kind of choice (agent/planner/decision.py)."""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from agent.planner.decision import DecisionReader
from agent.planner.dialogue import DialogueActs

DATA = Path(__file__).parent / "data" / "decision_questions.tsv"  # written by a helper from ESC-Eval cards 21–99


@pytest.fixture(scope="module")
def reader(settings):
    return DecisionReader(settings.data_dir)


@pytest.fixture(scope="module")
def acts(settings):
    return DialogueActs(settings.data_dir)


def _decide(reader, acts, message, used=()):
    questions = acts.questions(message) or [message]
    return reader.answer(questions[::-1], message, message, list(used))


@pytest.mark.parametrize("message, options, kinds", [
    ("should i confront the employee, or go to my bosses first?", ["confront the employee", "go to your bosses first"],
     ["talk", "escalate"]),
    ("i love this place. should i just move out or try to fix things with them?",
     ["move out", "try to fix things with them"], ["leave", "stay"]),
    ("i was thinking of talking to my other cousin about it, do you think that's a good idea or would it feel like "
     "going behind her back?", ["talk to your other cousin about it"], ["consult"]),
    ("should i tell my coworker what i've seen, or is that just going to get us both in trouble?",
     ["tell your coworker what you've seen"], ["disclose"]),
    ("should i just apologize to keep the peace even though i don't think i was wrong?",
     ["apologize to keep the peace even though you don't think you were wrong"], ["apologize"]),
    ("should i ask them for a payment plan or more time?", ["ask them for a payment plan or more time"], ["request"]),
    ("would it be bad if i asked a colleague on another team for help", ["ask a colleague on another team for help"],
     ["request"]),
    ("should i be talking to a doctor about the depression stuff too or is that pointless?",
     ["talk to a doctor about the depression stuff too"], ["professional"]),
    ("should i break up with him or not", ["break up with him"], ["leave"]),
    ("should i go above them, like to a dean or something?", ["go above them"], ["escalate"]),
    # round 12: "we" turned round too, and bending on what they fought about is a concession
    ("so should i just tell her im willing to bend on the things we fought about?",
     ["tell her you're willing to bend on the things you fought about"], ["concede"]),
    ("i just dont know if i should stay and try to fix it or leave", ["stay and try to fix it", "leave"],
     ["stay", "leave"]),
    # round 14: an email is not a face-to-face talk, and telling a doctor is seeing one
    ("do you think i should email my other teachers and ask what to focus on",
     ["email your other teachers and ask what to focus on"], ["write"]),
    ("should i tell my doctor about the anxiety and depression too?",
     ["tell your doctor about the anxiety and depression too"], ["professional"]),
    # round 24: "or do i just …" is the second option; an office or someone else is help asked for; "i'm fine with
    # it" is a concession; a landlord is talked to, not gone over
    ("is it even worth going back to them or do i just start looking for another job?",
     ["go back to them", "start looking for another job"], ["", "leave"]),
    ("should i just go to the financial aid office or would that be pointless?", ["go to the financial aid office"],
     ["professional"]),
    ("should i just go to someone else instead of him?", ["go to someone else instead of him"], ["professional"]),
    ("should i just tell her im fine with it now?", ["tell her you're fine with it now"], ["concede"]),
    ("should i also try to talk to my landlord or is it too late once they've filed?",
     ["try to talk to your landlord"], ["talk"]),
    # round 26: "ill" and "shes" said back as typed broke the sentence; doing whatever she wants is a concession
    ("should i just tell her ill do whatever she wants?", ["tell her you'll do whatever she wants"], ["concede"]),
    ("should i talk to my other cousin first since shes closer to her?",
     ["talk to your other cousin first since she's closer to her"], ["consult"]),
])
def test_the_options_are_read_from_their_words(reader, acts, message, options, kinds):
    decision = _decide(reader, acts, message)
    assert decision is not None and decision.options == options and decision.kinds == kinds
    assert decision.line[0].startswith("decision:")


@pytest.mark.parametrize("message", [
    "but like how should i study for a test with no guide?",           # a how-to question, not a choice
    "is it normal to still feel this bad weeks later?",
    "my granddaughter says i should try online dating. is that silly at my age?",  # someone else's idea, a judgement
    "how careful should i be?",
    "should you tell me what to do?",
    "i feel so lost lately",
    "with the move we have movers in and out. what if i bring it home to her?",  # a fear, not a choice (round 27)
    # a way of feeling, not a choice (round 36: "Whether to be worried is a fair thing to be unsure about…")
    "is this a normal thing that happens to guys or should i be worried?",
    "ugh i just got off the train and im still so annoyed lol. is it dumb to be this worked up over something small",
])
def test_no_choice_is_read_where_none_was_asked(reader, acts, message):
    assert _decide(reader, acts, message) is None


def _theirs(word: str, said: set[str], pronouns: dict[str, str]) -> bool:
    """The word is in their message, or is one of their pronouns turned round ("your" for "my")."""
    return word in said or any(pronouns.get(w) == word for w in said) or (word == "were" and "was" in said)


def test_said_back_only_in_their_own_words(reader, acts):
    """Over 150 decision messages written for the purpose: every word of a choice said back is the person's own (a
    verb's form aside), and most of them are read."""
    rows = list(csv.DictReader(DATA.open(encoding="utf-8"), delimiter="\t"))
    read = 0
    for row in rows:
        decision = _decide(reader, acts, row["message"])
        if decision is None:
            continue
        read += 1
        said = {w.lower() for w in re.findall(r"[\w']+", row["message"])}
        for option in decision.options:
            head, *rest = re.findall(r"[\w']+", option.lower())
            assert all(_theirs(w, said, reader.pronouns) or w == "weren't" for w in rest), (row["message"], option)
            if not decision.echo[0].startswith("decision-echo-long"):  # long options are not said back at all
                assert option in decision.echo[1] or (reader.ing(option) or option) in decision.echo[1]
    assert read >= 0.8 * len(rows)


def test_a_second_decision_is_weighed_in_other_words(reader, acts):
    message = "should i say something or just stop making plans?"
    first = _decide(reader, acts, message)
    again = _decide(reader, acts, message, used=[first.echo[0], first.line[0], first.follow_up[0]])
    assert again.echo[0] != first.echo[0] and again.line[0] != first.line[0]
    assert again.follow_up[0] != first.follow_up[0]


def test_every_line_is_written_for_a_known_kind(reader):
    kinds = set(reader.kinds) | {"any_one", "any_two"}
    for key in reader.lines:
        assert set(key.split("+")) <= kinds, key


def test_a_worry_about_how_it_looks_is_met_in_their_word(reader, acts):
    decision = _decide(reader, acts, "should i pull him aside and confront him or would that make me look insecure?")
    assert decision.follow_up[0].startswith("decision-seems") and "insecure" in decision.follow_up[1]
    quiet = _decide(reader, acts, "should i just quit or is that crazy?")  # leaving: no "it'll come across" line
    assert not quiet.follow_up[0].startswith("decision-seems")


@pytest.mark.parametrize("message, kind", [
    # round 36: "Going higher makes most sense once the direct route hasn't worked…" to telling a friend to stop
    ("should i tell A to stop complaining to me about S or is that gonna make her feel like im taking S's side",
     "disclose"),
    # … and "Asking is usually worth it: the worst likely answer is no" to asking a wife about a suspected affair
    ("should i just ask her straight up or like look at her phone first so i know what im dealing with?", "talk"),
    ("should i ask my boss if i can work from home?", "request"),
    # round 47: "You get to choose how much to share" (a line for disclosing at work) to telling a father of a layoff
    ("should i just tell him i got laid off?", "disclose_close"),
    ("should i tell my mum before the marksheet comes or wait?", "disclose_close"),
    # round 49 (card_j13): "people close to us usually cope better with hard news" about telling a manager
    ("the other thing is my manager doesn't know. should i tell them before a client stumbles on the comment?",
     "disclose"),
    ("my sister keeps asking whats wrong. should i tell her?", "disclose_close"),
    # round 49 (card_j01): "You get to choose how much to share" to telling a teacher what he wants now
    ("should i tell my teacher mrs kask that i want to cut back?", "tell_wish"),
    # round 50 (card_j02): "Big decisions like this are easier…" (a line about leaving) to going to a sewing group
    ("the parish centre has a sewing group on tuesdays. Should I go?", "attend"),
    ("Do you think I should go just once and see?", "attend"),
    ("should i just leave him?", "leave"),
])
def test_what_an_option_does_is_read_in_its_words(reader, acts, message, kind):
    assert _decide(reader, acts, message).kinds[0] == kind


def test_a_question_about_what_to_believe_is_no_choice(reader, acts):
    assert _decide(reader, acts, "do you think he's right? should i believe him?") is None


def test_a_choice_said_before_what_would_you_do_is_weighed(reader):
    """Round 48 (card_h17): "I'm asking whether I should pay it myself or make Callum take responsibility for it. …
    What would you do?" got "I'm not in your shoes, so the best choice is yours to make"."""
    message = ("I have the money. I'm asking whether I should pay it myself or make Callum take responsibility for it. "
               "If I bail him out I worry he'll never learn. What would you do?")
    assert reader.options("What would you do?", message) == ["pay it yourself", "make Callum take responsibility for it"]


def test_a_rumour_at_work_is_weighed_like_any_choice(fresh_agent):
    """Round 48 (card_h16): "should i confront him directly? or go to my supervisor?" about a coworker's rumour met
    "Don't pay or send anything more … report it to the police and the platform" (a sextortion answer)."""
    fresh_agent.respond("for about a month people go quiet when i walk into the break room. a coworker told me one of "
                        "the technicians has been telling everyone i'm the one who complained about friday drinks")
    fresh_agent.respond("it wasn't me. nobody invites me to lunch anymore and someone left a sticky note on my bench "
                        "that said 'thanks for the fun'")
    turn = fresh_agent.respond("the guy spreading it is rodrigo. should i confront him directly? or go to my "
                               "supervisor? or just wait for it to blow over?")
    assert any(u.startswith("decision") for u in turn.reply.utterances), turn.reply.text
    assert "police" not in turn.reply.text and "pay" not in turn.reply.text, turn.reply.text


@pytest.mark.parametrize("question, said", [
    # round 49: "That's a fair question, and I'd rather not guess at it from here" alone, read as a dodge
    ("like could she buy me out or something", "whether she could buy you out."),
    ("am i protecting them or just protecting myself?", "whether you are protecting them or just protecting yourself."),
    ("is it even worth it after that story she posted?", "whether it is even worth it after that story she posted."),
    # round 47 (card_h04): "Do you think my daughter's got a point?" met "I can't be sure from here" alone
    ("Do you think my daughter's got a point?", "whether your daughter's got a point."),
    # round 51 replayed (card_k12): "whether you was being weird"
    ("was i being weird?", "whether you were being weird."),
    ("do you think talking to my supervisor would make me look like i'm tattling?",
     "whether talking to your supervisor would make you look like you're tattling."),
])
def test_a_question_nothing_answers_is_said_back_as_what_they_wonder(reader, question, said):
    utterance_id, text = reader.wonder(question, [])
    assert utterance_id.startswith("wonder:") and text.endswith(said), text
    assert reader.wonder(question, ["wonder:0", "wonder:1"]) is None  # never the same wording twice


@pytest.mark.parametrize("question", ["would knocking on his door make things worse?", "has it always been like this "
                                      "for you?", "what should i do?"])
def test_a_question_that_cannot_be_said_back_faithfully_is_not(reader, question):
    assert reader.wonder(question, []) is None
