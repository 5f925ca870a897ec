import pytest

from agent.planner.gate import QualityGate, repetition


@pytest.fixture(scope="module")
def gate(agent):
    return QualityGate(agent.embedder, max_words=60, min_relevance=0.15)

USER = "I lost my job today and I feel like a failure."


def check(gate, reply, strategy="Affirmation and Reassurance", valence=-0.6, **kw):
    return gate.check(reply, USER, strategy=strategy, user_valence=valence, **kw)


def test_a_good_reply_passes(gate):
    verdict = check(gate, "Losing a job says nothing about your worth, and it is okay to feel shaken by it.")
    assert verdict.passed, verdict.reasons
    assert verdict.relevance > 0.3


def test_a_looping_reply_is_caught(gate):
    looping = "I'm sorry, I'm sorry, I'm sorry, I'm sorry about your job, I'm sorry, I'm sorry, I'm sorry."
    verdict = check(gate, looping)
    assert not verdict.passed and any("repetitive" in r for r in verdict.reasons)
    assert repetition(looping) > 0.3 and repetition("You will find your way through this job loss.") == 0


@pytest.mark.parametrize("reply,reason", [
    ("As an AI, I understand that losing your job is hard.", "machine"),
    ("Here is what to do about your job:\n- update your CV\n- call a friend", "list"),
    ("Hi there! It's great to hear from you about your job!", "cheerful"),
    ("Call 5551234 or visit www.jobs.com about your job.", "numbers or links"),
    ("You are lost forever after this job.", "invalidating"),
    ("How is your husband taking the news about the job?", "details"),
    ("😊", "too short"),
    ("The weather in Paris is lovely in the spring and the museums are open late.", "off topic"),
    (" ".join(["Losing a job is hard and you are not a failure"] * 8), "too long"),
])
def test_bad_replies_are_caught(gate, reply, reason):
    verdict = check(gate, reply)
    assert not verdict.passed
    assert any(reason in r for r in verdict.reasons), verdict.reasons


def test_question_strategy_needs_a_question(gate):
    assert not check(gate, "Losing a job is really hard.", strategy="Question").passed
    assert check(gate, "What has been the hardest part of losing your job?", strategy="Question").passed


def test_rewrite_must_stay_near_its_grounding(gate):
    grounding = ["I'm so sorry you lost your job, that must be really hard."]
    assert check(gate, "Losing your job is so hard, and I'm sorry it happened.", grounding=grounding).passed
    verdict = check(gate, "Maybe you could take up oil painting on weekends, it is relaxing.", grounding=grounding)
    assert any("strayed" in r for r in verdict.reasons)


@pytest.mark.parametrize("reply,user,valence,emotion,reason", [
    # a feeling the person never showed: they said they feel calmer
    ("What has made you feel anxious?", "I'm feeling a bit calmer today, thanks for yesterday.", 0.1, "neutral",
     "presumes a feeling"),
    # sympathy for good news
    ("How have you been coping with it?", "I got the scholarship!!! I can't believe it.", 0.6, "joy", "hardship"),
    # asking what they already said
    ("When did you lose your job?", USER, -0.6, "sadness", "asks when"),
    # parroting their own words back
    ("You're right. What should I do first?", "Maybe you're right. What should I do first?", 0.0, "neutral",
     "repeats the person's own words"),
])
def test_replies_that_misread_the_person_are_caught(gate, reply, user, valence, emotion, reason):
    verdict = gate.check(reply, user, strategy="Question", user_valence=valence, user_emotion=emotion)
    assert not verdict.passed and any(reason in r for r in verdict.reasons), verdict.reasons


def test_feelings_the_person_showed_may_be_named(gate):
    user = "I have my exams next week and I can't sleep."
    # perceived as fear: anxiety may be named although the word was never said
    assert gate.check("What is making you most anxious about the exams?", user, strategy="Question",
                      user_valence=-0.4, user_emotion="fear").passed
    assert not gate.check("What is making you most anxious about the exams?", user, strategy="Question",
                          user_valence=-0.4, user_emotion="neutral").passed
    assert gate.check("How long have you had trouble sleeping before exams?", user, strategy="Question",
                      user_valence=-0.4, user_emotion="fear").passed


def test_stressful_is_a_feeling_the_person_must_show():
    """Round 46: 'That sounds like a really stressful situation.' to a man missing his best mate's Sunday calls, who
    answered "stressful's not really the word, it's more like... sad?"."""
    from agent.planner.gate import presumed_feelings

    line = "That sounds like a really stressful situation."
    assert presumed_feelings(line, "my best mate used to phone every sunday and now he doesn't", "sadness") == ["fear"]
    assert presumed_feelings(line, "work has me so stressed i can't sleep", "sadness") == []
