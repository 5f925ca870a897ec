"""How to say it: the question is read, and the answer is written for whom it will be said to (raising.py)."""
from __future__ import annotations

import pytest

from agent.planner.raising import RaisingReader


@pytest.fixture(scope="module")
def reader(settings):
    return RaisingReader(settings.data_dir)


@pytest.mark.parametrize("question, message, earlier, who, purpose", [
    # round 36: a friendship's opener to a coworker; the coworker was named before the manager who is "ok i guess"
    ("how do i even bring it up without it turning into a fight tho?",
     "ok yeah that makes sense. how do i even bring it up without it turning into a fight tho? shes kind of defensive",
     ["its mostly this one coworker. we work completely differently",
      "i mean my manager is ok i guess but i dont want to look like im complaining"], "coworker", "raise"),
    # a wife, not "her friend jake", is the one he will talk to
    ("how do i even start that conversation?",
     "jake's been her friend since college. i just dont know how to bring it up. how do i even start that conversation?",
     ["i saw something on my wifes phone last night"], "partner", "raise"),
    ("how do you even say that to a stranger without sounding rude?",
     "how do you even say that to a stranger without sounding rude?", [], "stranger", "raise"),
    ("and what do i tell them, im gonna be so embarrassed saying it out loud",
     "so just book a normal gp appointment? and what do i tell them, im gonna be so embarrassed saying it out loud",
     [], "doctor", "raise"),
    ("if i do, what do i even say?", "i keep coming back to wanting to message her. if i do, what do i even say?",
     ["she's been my best friend since we were kids"], "friend", "reach_out"),
    ("so how do i actually bring it up without it being awkward?",
     "so how do i actually bring it up without it being awkward?", ["my roommate leaves her dishes for days"],
     "housemate", "raise"),
    # round 49 (card_j05, card_j08): "Doctors hear about every part of the body…" to a student about his professor
    # ("no doctor. its the lab door") and to a husband ("we're not at the counsellor stage")
    ("how do i even bring up authorship without making him angry?",
     "he put a postdoc as first author on a paper thats mostly my experiments. how do i even bring up authorship "
     "without making him angry?",
     ["is it normal to get a stomach ache just hearing a door open",
      "no doctor. its the lab door. im a phd student. my professor wants us in every saturday"], "teacher", "raise"),
    ("how do i even say that?",
     "but we're not at the counsellor stage, it's not that bad. i just want to bring it up again before december. how "
     "do i even say that?", ["my wife's training for a marathon"], "partner", "raise"),
    # a name, not a pronoun, for the one told (card_j07 heard "I'd rather not hand you a stock answer")
    ("how do i tell rohan i need him to say something to her?",
     "how do i tell rohan i need him to say something to her?", ["my husband rohan and his mother"], "partner",
     "raise"),
    # round 49: a no, and how he really is, heard lines for raising a grievance ("I felt hurt and shut out")
    ("how would i even say that", "if i tell my mom i don't want to speak she'll be so hurt. can i say no to doing the "
                                  "reflection without hurting her? how would i even say that", [], "default", "decline"),
    ("How do I tell her that, without making her worry more?",
     "The truth is I have told Emi I am managing fine. I am more tired than I have admitted to her. How do I tell her "
     "that, without making her worry more?", [], "default", "confide"),
])
def test_the_answer_is_written_for_whom_it_is_said_to(reader, question, message, earlier, who, purpose):
    utterance_id, text = reader.answer(question, message, earlier, [])
    assert utterance_id.split(":")[1:3] == [purpose, who], (utterance_id, text)


@pytest.mark.parametrize("question", ["how do i tell if he likes me?", "how do i say no to my boss?",
                                      "how do i stop thinking about it?", "should i talk to her?"])
def test_other_questions_are_not_read_as_how_to_say_it(reader, question):
    assert not reader.asked(question)


def test_asked_again_it_is_not_said_twice(reader):
    question = "how do i bring it up with my mom?"
    first = reader.answer(question, question, [], [])
    second = reader.answer(question, question, [], [first[0]])
    assert second is not None and second[1] != first[1]


def test_in_a_conversation_a_how_to_say_it_question_gets_the_answer_for_that_person(fresh_agent):
    """Round 37: "how do i actually word it without it sounding like im attacking them?" about a friend who keeps
    cancelling got "I can't be sure from here … What does your own gut tell you so far?"."""
    fresh_agent.respond("my friend bailed on me again, an hour before dinner. third time this month")
    turn = fresh_agent.respond("i think i want to say something. but how do i actually word it without it sounding "
                               "like im attacking them? like what do i even say")
    assert any(u.startswith("say-it:raise:friend") for u in turn.reply.utterances), turn.reply.text
    assert "rather be honest than guess" not in turn.reply.text


def test_a_name_said_with_who_it_is_is_whom_it_is_said_to(reader):
    """Round 52 (card_k01): "how do i tell Halina about the redundancy offer…?" after "my wife Halina doesnt know" was
    read as said to the manager named earlier, and met a line for raising it at work."""
    earlier = ["the manager asked me to help the engineers set up the system",
               "but the thing is my wife Halina doesnt know any of this"]
    question = "how do i tell Halina about the redundancy offer without her panicking about the loan?"
    assert reader.addressee(question, question, earlier) == "partner"
    assert reader.addressee("how do i tell my wife and kids?", "how do i tell my wife and kids?", ["my boss and i"]) \
        == "partner"  # "and" is no name


def test_a_written_answer_for_someone_else_does_not_take_the_question(fresh_agent):
    fresh_agent.respond("theyre putting robots in the warehouse where i work and the manager asked me to help set it up")
    fresh_agent.respond("they offered me voluntary redundancy. but my wife Halina doesnt know any of this and we just "
                        "took a loan")
    turn = fresh_agent.respond("how do i tell Halina about the redundancy offer without her panicking about the loan?")
    assert any(u.startswith("say-it:") and ":partner:" in u for u in turn.reply.utterances), turn.reply.text
