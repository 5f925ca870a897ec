"""Judgment questions: the person's own word is answered, by what it judges (judgment.py)."""
from __future__ import annotations

import pytest

from agent.planner.judgment import JudgmentReader


@pytest.fixture(scope="module")
def reader(settings):
    return JudgmentReader(settings.data_dir)


@pytest.mark.parametrize("question, message, word, kind", [
    # round 46 (card_g01): met "It isn't paranoid to be scared for someone you love"
    ("is it bad that im hiding it from her?",
     "and i havent even told my mum yet, shes 81. is it bad that im hiding it from her?", "bad", "secret"),
    # card_g05: "No, it isn't weird; many people listen to saved messages" (she meant calling out of habit)
    ("is that weird?", "so now i come home and its just empty. i keep grabbing my phone to call her and then "
                       "remembering. is that weird?", "weird", "habit"),
    ("is that bad?", "some days im fine and laughing with my friends and then i feel really guilty after. is that bad?",
     "bad", "feeling"),
    # card_g06: "That's a fair question, and I'd rather not guess at it from here"
    ("is that mad?", "honestly im thinking of just not booking a fourth one, the embarrassment is too much. is that mad?",
     "mad", "stepping_back"),
    ("is it selfish to not want to go?", "is it selfish to not want to go?", "selfish", "feeling"),
    ("is that a messed up way to think?", "like if i had a better job she'd just get the surgery. is that a messed up "
                                          "way to think?", "messed up", "feeling"),
    # card_g09 and card_g15: a request of someone else
    ("is it unreasonable to ask him for a payment plan, like 100 a month?",
     "is it unreasonable to ask him for a payment plan, like 100 a month?", "unreasonable", "request"),
    ("would that be a weird thing to ask them", "i meant breakfast after my shift. would that be a weird thing to ask "
                                                "them", "weird", "request"),
    ("am i overreacting?", "but i keep replaying it. am i overreacting?", "overreacting", "overreacting"),
    ("Would that be giving up?", "Part of me thinks I should just accept it and stay. Would that be giving up?",
     "giving up", "giving up"),
    ("does that make me a bad friend?", "i didnt go to her party. does that make me a bad friend?", "a bad friend",
     "a bad"),
    # round 48 (card_h04, card_h17): a numbness answer to crying more over the dog; "Borrowing from someone close…"
    ("Is that wrong?", "I've cried more over the dog than I did after the funeral. Is that wrong?", "wrong", "feeling"),
    ("Is my grief out of proportion?", "Is my grief out of proportion?", "out of proportion", "feeling"),
    ("Would it be disloyal to Meg to take another dog so soon?", "Would it be disloyal to Meg to take another dog so "
                                                                 "soon?", "disloyal", "moving_on"),
    ("Would that be wrong of me, to pay it and not tell him?", "Would that be wrong of me, to pay it and not tell him?",
     "wrong", "secret"),
    # round 50 (card_j16 and another): a feeling weighed as a choice, "It isn't petty to think about whether to resent
    # it … It may well be worth it"
    ("is it petty to resent it?", "she got the house and i got nothing. is it petty to resent it?", "petty", "feeling"),
    ("is it selfish to want my share?", "is it selfish to want my share?", "selfish", "feeling"),
    # round 50 (card_j01): a lowercase message read as one sentence, and "music high school" read as drugs, left
    # "is that weird" to "a deep passion for an artist can be creative"
    ("is that weird", "its not really a family fight thing. i didnt get into the music high school i auditioned for "
                      "(cello). and everyone thinks im devastated but honestly i kind of felt relieved?? is that weird",
     "weird", "feeling"),
    # round 50 (card_j02): "of me" alone judges the sentence before it ("I'd rather not guess at it from here")
    ("Is that foolish of me?", "But going there feels like saying I am an old woman with nowhere else to go. Is that "
                               "foolish of me?", "foolish", "feeling"),
    # round 49 (card_j10, card_j09): "It isn't selfish to want to step back when something keeps hurting" to a
    # husband accepting a day service for his wife; a line about muting accounts to explaining herself to a friend
    ("Is it selfish of me to accept this help?", "Emi wants Keiko to go to a day service three days a week. Strangers "
                                                 "would bathe her. Is it selfish of me to accept this help?",
     "selfish", "accepting_help"),
    ("is it pathetic to explain the money thing now, five weeks later?",
     "ok but should i even message her? like is it pathetic to explain the money thing now, five weeks later?",
     "pathetic", "speaking_up"),
])
def test_what_is_judged_picks_the_answer(reader, question, message, word, kind):
    judgment, (utterance_id, text) = reader.answer([question], message, [])
    assert (judgment.word, judgment.kind) == (word, kind), text
    assert utterance_id.startswith(f"judgment:{kind}:")
    assert word in text.lower() or kind == "giving up", text


@pytest.mark.parametrize("question, message", [
    ("is it weird that he texts his ex every day?", "is it weird that he texts his ex every day?"),  # not theirs
    ("is it bad that i drink every night to sleep?", "is it bad that i drink every night to sleep?"),  # a harm
    ("does that make me a bad mum?", "i shouted at the baby. does that make me a bad mum?"),
    ("is that weird?", "my sister moved to spain. is that weird?"),  # nothing of theirs judged
    ("is it normal to feel this lonely?", "is it normal to feel this lonely?"),  # the written answers' question
    ("should i tell her?", "should i tell her?"),
    # macular degeneration and a near miss: never "No, it isn't wrong" to driving on
    ("Would it be so wrong to keep driving till then, or should I hand the licence in now?",
     "Would it be so wrong to keep driving till then, or should I hand the licence in now?"),
])
def test_what_is_not_answered_here(reader, question, message):
    assert reader.answer([question], message, []) is None


def test_asked_again_it_is_not_said_twice(reader):
    question = "is it wrong to feel this way?"
    judgment, first = reader.answer([question], question, [])
    _, second = reader.answer([question], question, [first[0]])
    assert second[1] != first[1]


def test_in_a_conversation_the_judgment_is_answered(fresh_agent):
    """Round 46 (card_g03): 'is it selfish to not want to go?' met a line about choosing your own path, and (card_g17)
    'is that a messed up way to think?' met 'I can't be sure from here, and I'd rather be honest than guess'."""
    fresh_agent.respond("her parents are in chile and their health is getting worse. she wants us all to move there, "
                        "me her and the two kids. we're in auckland")
    turn = fresh_agent.respond("i only speak basic spanish, id have to requalify to work as a sparky over there, my "
                               "mum is here. and then i feel like a selfish prick for even thinking about that when "
                               "her parents are sick. is it selfish to not want to go?")
    assert any(u.startswith("judgment:feeling") for u in turn.reply.utterances), turn.reply.text
    assert "isn't selfish" in turn.reply.text
    fresh_agent.reset()
    fresh_agent.respond("my dog chispa has a bone tumour. the vet says surgery is about 2400 euros and i have no "
                        "savings")
    turn = fresh_agent.respond("i feel so guilty that its my lack of money deciding if she lives or not. like if i had a "
                               "better job she'd just get the surgery. is that a messed up way to think?")
    assert "isn't messed up" in turn.reply.text and "rather be honest than guess" not in turn.reply.text, \
        turn.reply.text


@pytest.mark.parametrize("question", ["is it petty to resent it?", "is it selfish to want my share?"])
def test_a_feeling_is_not_weighed_as_a_choice(settings, question):
    from agent.planner.decision import DecisionReader

    assert DecisionReader(settings.data_dir).options(question, question) == []


@pytest.mark.parametrize("question, message, kind, said", [
    # round 49 (card_j13, card_j08): met "I'd rather not guess" and a couples-counsellor referral
    ("is deleting it just giving in?", "i keep thinking i should just delete the post, or the whole account. is "
                                       "deleting it just giving in?", "giving in", "letting them win"),
    ("would that be letting them win?", "i could just leave the group. would that be letting them win?", "letting",
     "letting them win"),
    ("am i just jealous she's got something of her own?", "is it jealousy? like am i just jealous she's got something "
                                                          "of her own?", "jealous", "jealousy"),
])
def test_a_word_with_its_own_answer_is_met_by_it(reader, question, message, kind, said):
    judgment, (utterance_id, text) = reader.answer([question], message, [])
    assert judgment.kind == kind and utterance_id.startswith(f"judgment:{kind}:")
    assert said in text.lower(), text
