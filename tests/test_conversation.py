"""The conversation as a person has it: whole replies from the bank, a dialogue state, questions answered, nothing
repeated — checked over several turns through the real Agent, and on the seeker turns of recorded role-plays."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agent.planner.bank import KIND_STRATEGY, TurnFilter, load_knowledge
from agent.planner.dialogue import DialogueActs, DialogueTracker
from agent.types import DialogueState

ROLEPLAYS = Path(__file__).parent / "data" / "roleplay" / "before"
CRISIS_TEXT = re.compile(r"ending your life|crisis line|emergency number|findahelpline|988|hurting yourself", re.I)
PLACEHOLDER = re.compile(r"[\[\]{}<>]|\bname\b\]")


# -- the bank ---------------------------------------------------------------------------------------------------
def test_knowledge_is_well_formed(settings):
    entries = load_knowledge(settings.data_dir / "knowledge")
    problems = json.loads((settings.data_dir / "problem_types.json").read_text())
    assert len(entries) > 700
    assert {e.problem for e in entries} <= set(problems) - {"_about"}
    assert {e.kind for e in entries} <= set(KIND_STRATEGY)
    for e in entries:
        assert 5 <= len(e.text.split()) <= 45 and not re.search(r"\d|http|[\[\]*#]", e.text), e.text
        if e.kind == "answer":
            assert 2 <= len(e.questions) <= 5, e.text
    assert len({e.id for e in entries}) == len(entries)


@pytest.mark.parametrize("turn", [
    "I have been doing grocery pick-up because of the pandemic.",   # another person's life, a situation
    "Ive been through a few bad breakups myself.",                    # the supporter's own life
    "Some employers are so inconsiderate, my boss was like that.",   # someone else's
    "As you said earlier, that sounds hard.",                         # leans on its dialogue
    "Did John say why?",                                              # a name
    "yeah that sucks",                                                # a fragment
])
def test_esconv_turns_that_do_not_stand_alone_are_dropped(settings, turn):
    assert TurnFilter(settings.data_dir).reason_to_drop(turn) is not None


def test_a_self_contained_esconv_turn_is_kept(settings):
    assert TurnFilter(settings.data_dir).reason_to_drop("What would you like to happen in this situation?") is None


# -- reading a message ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, act", [
    ("hey", "greeting"), ("hi there, how are you?", "greeting"), ("thanks, that helps a bit", "thanks"),
    ("should i go to the police?", "question"), ("is it normal to be this tired", "question"),
    ("idk", "unsure"), ("ok bye for now", "closing"),
    ("my manager keeps adding work and i say yes every time", "statement"),
])
def test_dialogue_acts(settings, text, act):
    assert DialogueActs(settings.data_dir).act(text) == act


def test_the_state_keeps_the_problem_and_the_facts(agent):
    tracker = DialogueTracker(agent.settings.data_dir)
    state = DialogueState()
    for text in ["i lost my job last week. they said my position was cut",
                 "yeah, it's been hard. i keep thinking i did something wrong", "ok"]:
        state = tracker.update(state, text, agent.embedder.encode_one(text))
    assert state.problem == "job_loss"
    assert any("position was cut" in f for f in state.facts) and not any(f.startswith("yeah") for f in state.facts)
    assert "ok" not in state.facts


def test_the_problem_head_reads_held_out_chat_messages(agent):
    """375 chat messages written apart from the training ones (tests/data/problem_messages_test.tsv, 25 a type,
    never trained on; the hard cases too: a teacher drowning in grading is work, a job offer abroad is not a job
    loss). The head trained on 675 written messages read 0.73 of them; on 2,025, 0.82."""
    import csv

    rows = list(csv.DictReader((Path(__file__).parent / "data" / "problem_messages_test.tsv").open(), delimiter="\t"))
    problems = agent.composer.tracker.problems
    vectors = agent.embedder.encode([r["text"] for r in rows])
    read = [max(scores := problems.scores(v), key=scores.get) for v in vectors]
    assert sum(r["problem"] == p for r, p in zip(rows, read)) / len(rows) >= 0.78


@pytest.mark.parametrize("messages, expected", [
    (["my exams start next week and i keep panicking that i'll fail all of them",
      "i can't sleep, my heart races every time i think about the exam hall"], {"anxiety", "fear"}),
    (["my dad passed away in march and i miss him every single day",
      "i keep crying when i see his chair, the house feels so empty without him"], {"sadness", "depression"}),
])
def test_the_state_keeps_how_they_feel_over_the_conversation(agent, messages, expected):
    tracker = DialogueTracker(agent.settings.data_dir)
    state = DialogueState()
    for text in messages:
        state = tracker.update(state, text, agent.embedder.encode_one(text))
    assert state.emotion_type in expected, state.emotion_type_scores
    assert tracker.update(state, "ok", agent.embedder.encode_one("ok")).emotion_type == state.emotion_type


# -- whole conversations through the Agent ----------------------------------------------------------------------
def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s]


def test_a_conversation_answers_questions_and_never_repeats(fresh_agent):
    messages = ["hi. not sure where to start",
                "i got laid off last week after six years there",
                "honestly i feel ashamed, like i failed my family",
                "should i tell my parents? they think i still work there",
                "how do i even start looking again?",
                "thanks, that helps a bit"]
    turns = [fresh_agent.respond(m) for m in messages]
    replies = [t.reply.text for t in turns]
    assert len(set(replies)) == len(replies)
    said = [s for r in replies for s in _sentences(r)]
    assert len(set(said)) == len(said)  # not even a sentence twice
    openings = [" ".join(r.lower().split()[:3]) for r in replies]
    assert all(openings[i] not in openings[max(0, i - 3):i] for i in range(len(openings)))
    for turn in turns:
        assert not PLACEHOLDER.search(turn.reply.text) and len(_sentences(turn.reply.text)) <= 4
        assert not turn.safety.escalate and not CRISIS_TEXT.search(turn.reply.text)
    assert turns[1].state.problem == "job_loss" and turns[1].plan.event_scenario
    assert turns[3].state.open_question and turns[3].state.act == "question"
    bank = fresh_agent.composer.bank
    # a decision is said back in their words, then answered; a how-to question gets concrete help first
    echo, answer = turns[3].reply.utterances[:2]
    assert echo.startswith("decision-echo:") and "whether to tell your parents" in turns[3].reply.text
    assert answer.startswith("decision:") or bank[bank.by_id[answer]].kind == "answer"
    assert bank[bank.by_id[turns[4].reply.utterances[0]]].kind in {"answer", "suggestion", "information"}
    assert bank[bank.by_id[turns[5].reply.utterances[0]]].kind == "thanks"
    stored = turns[-1].state
    assert len(stored.used) == sum(len(t.reply.utterances) for t in turns)


@pytest.mark.parametrize("text, named", [
    ("not many people now. my mom passed a few months ago. she was the one i talked to", "I'm so sorry about your mom."),
    ("my dad passed away recently, and i lost my job around the same time", "your dad"),
    ("i lost my dad last year and it still hits me", "your dad"),
    ("i fell down the stairs, broke my foot and chipped my teeth", "your foot"),
    ("my girlfriend left me 9 days ago, we were together six years", "you and your girlfriend"),
    ("my friend's dad died on sunday", "sorry for your loss"),  # not "your friend": it was the friend's father
    ("i got laid off on friday", "Losing your job"),
    ("well. my husband left me a few months ago", "you and your husband"),
    ("i lost a pregnancy a few weeks ago. it was my first", "loss of your pregnancy"),
    # round 16: "she passed a few months ago" was read as "passed a (test)", and she is the mom just named
    ("i barely sleep and my head just goes to my mom. she passed a few months ago", "I'm so sorry about your mom."),
])
def test_what_happened_is_named_back_once(fresh_agent, text, named):
    turn = fresh_agent.respond(text)
    assert named in turn.reply.text, turn.reply.text
    again = fresh_agent.respond(text.split(".")[-1] + " and i keep thinking about it")
    assert named not in again.reply.text


@pytest.mark.parametrize("text", [
    "my husband got fired and he's taking it out on me",    # not their job
    "i'm thinking about breaking up with him",              # not happened
    "i passed a test today but i still feel awful",
    "i lost my keys and then my temper, worst day",
    "i'm scared to death of the exam on monday",
    "he left me a note on the fridge and went to work",
    "my mother-in-law will be the death of me",
    "my sister. she passed a kidney stone last week",
    # round 49 (card_j14): "I'm so sorry for your loss" to a man whose partner went back to a widower, and "Being put
    # down in front of other people is humiliating" to wondering whether a wedding would be
    "in may she told me she was going back to her former husband. his wife died recently",
    "she invited me herself. should i go? i cannot tell if it would be humiliating",
])
def test_no_event_is_named_that_did_not_happen_to_them(settings, text):
    from agent.planner.events import LifeEvents

    assert LifeEvents(settings.data_dir).read(text) == []


def test_a_line_never_brings_in_people_or_situations_they_did_not_mention(fresh_agent):
    composer = fresh_agent.composer
    composer.setup()
    known = "i failed my anatomy midterm and the final is next week"
    assert composer.presumes("When family pressure about grades builds, studying can feel heavy.", known)
    assert not composer.presumes("Talking to a friend or family member can help.", known)
    assert not composer.presumes("Your parents may expect a lot.", known + ". my mom is a doctor")
    overloaded = "they keep piling work on me and my manager mocks me in meetings"
    assert composer.presumes("If you were fired, it can help to ask for the reasons in writing.", overloaded)
    assert composer.presumes("A new diagnosis often brings shock.", "my mom died a couple of months ago")
    assert composer.presumes("Losing a job is a shock.", overloaded)  # round 16: "after losing a job" to one who quit
    assert not composer.presumes("Losing a job is a shock.", "i got laid off on friday")
    afraid = "i'm scared i'll lose my job, they keep cutting pay"  # a fear is not a dismissal
    assert composer.presumes("If you were fired, it can help to ask for the reasons in writing.", afraid)
    # round 46: "a few minutes away from your screen or desk" to a home carer who drives and a night receptionist
    desk = "Short breaks during the day, even a few minutes away from your screen or desk, can help you keep going."
    assert composer.presumes(desk, "i panic once the tester gets in the car. how do people stop freezing up?")
    assert not composer.presumes(desk, "i'm at my desk answering emails from 8 till 8")
    for text in [known, "i just reread my notes and nothing sticks", "what should i do?"]:
        reply = fresh_agent.respond(text).reply.text
        assert not re.search(r"\b(family|parents|coworkers?|boss|manager|partner)\b", reply, re.I), reply


def test_a_line_the_person_already_made_wrong_is_not_said(fresh_agent):
    composer = fresh_agent.composer
    composer.setup()
    alone = "i don't have anyone, my friends all seem fine and i can't confide in them"
    assert composer.contradicted("Leaning on a friend you trust could ease some of the weight.", "suggestion", alone)
    assert not composer.contradicted("Leaning on a friend you trust could ease some of the weight.", "suggestion",
                                     "i had a fight with my sister")
    assert composer.contradicted("How have you been sleeping lately?", "question", "i can't sleep, my back hurts")
    assert not composer.contradicted("Poor sleep makes everything heavier.", "reflection", "i can't sleep")
    assert composer.contradicted("If the person is a minor, telling a parent or school counsellor can help.",
                                 "suggestion", "my daughter is 16 and has stopped eating")
    assert composer.presumes("If the person is a minor, telling a parent can help.", "my dad is 82 and stopped his meds")
    broken = "i fell down the stairs and broke my foot"
    assert composer.contradicted("A short walk or some stretching can help your mind settle.", "suggestion", broken)
    assert composer.presumes("Pain is real even when tests haven't explained it yet.", "my back has hurt for years")
    fresh_agent.respond("i've got nobody to talk to since i moved, it's just me and the cat")
    turn = fresh_agent.respond("what can i do about it?")
    assert not re.search(r"\b(a friend|someone you trust|lean on|loved one)\b", turn.reply.text, re.I), turn.reply.text


@pytest.mark.parametrize("messages, problem", [
    (["hey", "my mom died a couple of months ago and i can't stop crying"], "grief"),
    (["i'm about to be evicted, i owe three months of rent"], "money"),
    (["hi", "i just feel stuck", "my manager keeps piling overtime on me at work"], "work_stress"),
])
def test_what_they_plainly_tell_sets_the_problem(fresh_agent, messages, problem):
    for text in messages:
        turn = fresh_agent.respond(text)
    assert turn.state.problem == problem, turn.state.problem_scores


def test_a_short_question_is_read_with_the_sentence_before_it(fresh_agent):
    composer = fresh_agent.composer
    composer.setup()
    from agent.planner.compose import TurnContext

    text = "i'd do anything she wants to get my ex back, even things i swore i wouldn't. is that pathetic?"
    ctx = TurnContext(text, fresh_agent.respond("hi").perception, 1, [], "Joy", "warm")
    topic = fresh_agent.embedder.encode_one("getting my ex back")
    alone = fresh_agent.embedder.encode_one("is that pathetic?")
    assert float(composer.question_vector(ctx, "is that pathetic?") @ topic) > float(alone @ topic) + 0.2
    long_question = "how do i stop obsessing over all the things she said when she left?"
    assert float(composer.question_vector(ctx, long_question) @ fresh_agent.embedder.encode_one(long_question)) > 0.99


@pytest.mark.parametrize("question, form", [
    ("do you think i should tell my coworker about it?", "decision"),
    ("is it a bad idea to bring my cousin into it?", "decision"),
    ("is that pathetic?", "normal"),
    ("do you think it was my fault for not going to the hospital?", "fault"),
    ("do you think it was stupid to quit without a job lined up?", "regret"),
    ("how do i find a cheaper place?", None),
])
def test_question_forms(settings, question, form):
    assert DialogueActs(settings.data_dir).form(question) == form


@pytest.mark.parametrize("question", ["is it normal to feel this stuck?", "am i overreacting?",
                                      "do you think i made a mistake quitting?"])
def test_a_question_about_themselves_is_met_as_asked(fresh_agent, question):
    fresh_agent.respond("my back has hurt for years and the surgery got cancelled")
    turn = fresh_agent.respond(question)
    bank = fresh_agent.composer.bank
    if turn.reply.utterances[0].startswith("judgment:"):  # their own word answered ("You're not overreacting…")
        return
    first = bank[bank.by_id[turn.reply.utterances[0]]]
    assert first.kind == "answer", turn.reply.text


def test_a_question_nothing_answers_gets_an_honest_reply_not_another_answer(fresh_agent):
    fresh_agent.respond("my husband left me for a younger woman and i'm lonely now")
    turn = fresh_agent.respond("how would i even know if someone's after my money?")
    bank = fresh_agent.composer.bank
    first = bank[bank.by_id[next(u for u in turn.reply.utterances if u in bank.by_id)]]
    assert first.kind in {"honest", "honest_open", "answer", "suggestion", "information"}, turn.reply.text
    if first.kind in {"suggestion", "information"}:  # a next step only when it is about what was asked
        assert "money" in first.text or "scam" in first.text, turn.reply.text
    if first.kind == "answer":  # an answer only when written for a question like this one
        assert first.problem != "general" or "money" in first.text


def test_a_correction_is_owned_and_the_misread_topic_is_dropped(fresh_agent):
    first = fresh_agent.respond("hey, i'm kind of freaking out about a school thing")
    assert first.state.problem == "academic"
    turn = fresh_agent.respond("no it's not about studying. i lost 5 books from the library and they want me to pay")
    bank = fresh_agent.composer.bank
    assert bank[bank.by_id[turn.reply.utterances[0]]].kind == "repair", turn.reply.text
    assert "academic" in turn.state.ruled_out and turn.state.problem != "academic"
    again = fresh_agent.respond("i literally just said it's not about studying?? it's about the money")
    assert again.state.corrected and again.state.open_question is None  # a correction asks for nothing
    assert not set(again.reply.utterances) & set(turn.reply.utterances)


@pytest.mark.parametrize("text", ["hey, can i talk about a living situation thing? it's kind of a mess",
                                  "hello dear, is this where i can talk to someone?", "can i just vent for a sec?"])
def test_asking_to_talk_is_welcomed_not_answered(fresh_agent, text):
    turn = fresh_agent.respond(text)
    assert turn.state.open_question is None
    bank = fresh_agent.composer.bank
    kinds = {bank[bank.by_id[u]].kind for u in turn.reply.utterances if u in bank.by_id}
    assert not kinds & {"honest", "answer"}, turn.reply.text


def test_not_being_heard_is_owned_but_the_topic_stays(fresh_agent):
    """Crisis round 9: 'i already said my sister can't help' ruled out money, and the rent question got a therapist."""
    fresh_agent.respond("my landlord gave me notice, i fell behind on rent and i'm scared i'll end up homeless")
    turn = fresh_agent.respond("i already said my sister can't really help. do you know any groups that help people "
                               "with rent?")
    assert turn.state.corrected and "money" not in turn.state.ruled_out and turn.state.problem == "money"
    assert not re.search(r"therapist|counsellor", turn.reply.text, re.I), turn.reply.text


@pytest.mark.parametrize("text", ["it's not my fault he did that", "that's not a big deal to most people",
                                  "a better day would be one where i still have a job lol",
                                  "it's not the first time this happened"])
def test_an_ordinary_not_is_no_correction(settings, text):
    assert not DialogueActs(settings.data_dir).correction.search(text)


def test_the_state_is_stored_and_resumed(settings, tmp_path):
    from agent import Agent
    from agent.store import ConversationStore

    store = ConversationStore(tmp_path / "c.db")
    first = Agent(settings, store=store, session_id="s1")
    first.respond("my best friend lied to me and i don't know if i can forgive her")
    used = first.history[-1].state.used
    again = Agent(settings, store=store, session_id="s1")
    assert again.history[-1].state.used == used and again.history[-1].state.problem == first.history[-1].state.problem
    turn = again.respond("what would you do?")
    assert not set(turn.reply.utterances) & set(used)


def _replay(agent, seeker_turns: list[str]) -> list:
    agent.reset()
    return [agent.respond(text) for text in seeker_turns]


@pytest.mark.parametrize("path", sorted(ROLEPLAYS.glob("card_*.json"))[:8]
                         + sorted((ROLEPLAYS.parent / "round4").glob("card_*.json"))[::4],
                         ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_recorded_roleplays_replay_cleanly(agent, path):
    """Seeker turns of role-plays with the earlier Attune (tests/data/roleplay): the automatic checks."""
    seeker = [t["seeker"] for t in json.loads(path.read_text())["turns"]]
    turns = _replay(agent, seeker)
    replies = [t.reply.text for t in turns]
    assert len(set(replies)) == len(replies)
    bank = agent.composer.bank
    for turn in turns:
        text = turn.reply.text
        assert text and not PLACEHOLDER.search(text), text
        if CRISIS_TEXT.search(text):
            assert turn.safety.escalate or turn.safety.check_in or turn.safety.category != "none"
        decided = any(u.startswith("decision:") for u in turn.reply.utterances)  # a choice said back, weighed
        if turn.state.open_question and turn.reply.source == "composed" and not decided:
            first = next(bank[bank.by_id[u]] for u in turn.reply.utterances
                         if u in bank.by_id and bank[bank.by_id[u]].kind != "repair")  # "sorry, I misread", then
            assert first.kind in {"answer", "suggestion", "information", "honest"}, (turn.user_text, text)
    assert sum(t.safety.check_in for t in turns) <= 1


@pytest.mark.parametrize("text", [
    "hey. rough week at work, kind of need to vent",
    "evening. don't really know why i'm typing into this thing but here goes",
    "hi. something's been bugging me at work and i can't really talk about it there",
])
def test_an_opening_that_does_not_say_what_is_wrong_is_welcomed_not_guessed_at(fresh_agent, text):
    """Round 12: "so much of this sounds exhausting" and "when there's more work than anyone can manage" to
    openers that had said nothing yet."""
    turn = fresh_agent.respond(text)
    bank = fresh_agent.composer.bank
    assert [bank[bank.by_id[u]].kind for u in turn.reply.utterances] in (["greeting"], ["opening"]), turn.reply.text
    assert not re.search(r"exhaust|more work than|odd one out|surgery|nothing specific", turn.reply.text)


def test_a_welcome_names_the_trouble_as_far_as_they_did(fresh_agent):
    assert "work" in fresh_agent.respond("hey. rough week at work, kind of need to vent").reply.text
    fresh_agent.reset()
    assert "friends" in fresh_agent.respond("hey. just feeling down about some stuff with my friends").reply.text
    fresh_agent.reset()  # nothing said of a hard time: none presumed
    assert not re.search(r"hard|rough|heavy", fresh_agent.respond("evening. my granddaughter set me up with this "
                                                                   "thing, said it might help to talk").reply.text)


def test_questions_inside_a_sentence_and_questions_asked_again(fresh_agent):
    acts = fresh_agent.composer.tracker.acts
    assert acts.questions("i just dont know if i should stay and try to fix it or leave") == [
        "should i stay and try to fix it or leave"]
    assert acts.questions("so can you help me with the zoom or not") == ["can you help me with the zoom or not"]
    fresh_agent.respond("i lost my job last month. is it normal to feel this ashamed?")
    turn = fresh_agent.respond("you didn't really answer my question. i keep hiding it from my friends")
    assert turn.state.open_question == "is it normal to feel this ashamed?" and turn.state.corrected


def test_a_question_already_answered_is_not_asked(fresh_agent):
    composer = fresh_agent.composer
    composer.setup()
    missing = "i really miss the physical side of it, like we had this thing that was just ours"
    assert composer.contradicted("What do you miss most when your mind goes back to the relationship?", "question",
                                 missing)
    assert composer.contradicted("How did things end at work, if you feel like sharing?", "question",
                                 "so i quit my admin assistant job a while back")
    assert not composer.contradicted("How did things end at work, if you feel like sharing?", "question",
                                     "work has been awful lately")
    # round 32: asked what helped before, just after 'the stuff that used to keep me going: i dance samba'
    coping = "honestly i cant even do the stuff that used to keep me going. i dance samba and do standup"
    assert composer.contradicted("What has helped you get through difficult times before?", "question", coping)
    assert not composer.contradicted("What has helped you get through difficult times before?", "question",
                                     "i quit my job and i cant find anything i can do from home")
    assert composer.contradicted("What has been the hardest part of all this for you?", "question",
                                 "still gets me down being stuck in here all day tho")
    # round 33: a job 'at risk' to someone who quit months ago; help for a partner's job loss to the one who lost it
    assert composer.contradicted("If your job is at risk but nothing is final yet, the limbo can be unsettling.",
                                 "reflection", "so i quit my job a few months ago")
    assert composer.contradicted("Listen more than you advise at first, reassure them it doesn't change how you see "
                                 "them.", "answer", "my dad passed and i lost my job at the bank not long after")
    assert composer.presumes("So much of this sounds exhausting, both in your head and in your body.",
                             "hiii um can i vent for a sec")


def test_a_long_telling_is_not_met_with_what_was_the_hardest_part(fresh_agent):
    """Round 33: 'i miss the physical side so much, we had this thing together that was really ours…' heard 'What has
    been the hardest part of this for you so far?' ('i mean i just told you the hardest part lol')."""
    fresh_agent.respond("my gf left me. 9 days ago. we were together six and a half years")
    turn = fresh_agent.respond("a couple friends know but honestly i cant tell them the real stuff. like this is kinda "
                               "embarrassing but i miss the physical side so much, we had this thing together that "
                               "was really ours and i dont think ill ever have that with anyone else")
    assert not re.search(r"hardest|worst part|weighing on you|what happened", turn.reply.text, re.I), turn.reply.text


def test_two_questions_in_one_message_are_both_met(fresh_agent):
    fresh_agent.respond("i lost a pregnancy a few weeks ago, at home")
    turn = fresh_agent.respond("is it normal to still feel this bad weeks later? and should i still see a doctor now?")
    assert any(u.startswith("decision") for u in turn.reply.utterances), turn.reply.utterances
    bank = fresh_agent.composer.bank
    first = bank[bank.by_id[turn.reply.utterances[0]]]
    assert first.kind == "answer", turn.reply.text


def test_an_answer_never_says_no_to_is_it_normal(fresh_agent):
    """Round 14: "is it normal to get this low…?" met with "No, worrying after a scary injury is understandable"."""
    composer = fresh_agent.composer
    composer.setup()
    assert composer.clashes("is it normal to get this low from being stuck inside?", "No, worrying is understandable.")
    assert not composer.clashes("is it stupid that the lying hurts more?", "No, it isn't.")
    assert composer.clashes("am i overreacting?", "Yes, it can help to talk.")
    fresh_agent.respond("i fell down the stairs and broke my foot, the foot needs surgery and i'm stuck at home")
    turn = fresh_agent.respond("it's more the feeling down part. is it normal to get this low from just being stuck "
                               "inside with an injury?")
    assert not turn.reply.text.startswith("No"), turn.reply.text


def test_crisis_lines_presume_no_therapist_and_no_parents_who_cut_them_off(fresh_agent):
    """Crisis round 15: "a safety plan from a therapist" to someone who never mentioned one; "tell a parent" to a
    student whose parents had just cut them off for coming out."""
    composer = fresh_agent.composer
    composer.setup()
    assert composer.presumes("Telling your therapist is usually a good idea.", "i've never told anyone this")
    assert not composer.presumes("Telling your therapist is usually a good idea.", "my therapist doesn't know")
    assert composer.contradicted("Telling one trusted person, whether a parent, a friend or a doctor, can help.",
                                 "answer", "my parents cut me off when i came out")


def test_a_doubt_that_asks_nothing_is_not_met_as_a_question(settings, fresh_agent):
    # round 15: "i dont know if i can trust anything he says now" heard "That's a fair question, and I can't answer it"
    acts = DialogueActs(settings.data_dir)
    assert acts.questions("i dont know if i can trust anything he says now") == []
    assert acts.questions("i dont know if i should stay or leave") == ["should i stay or leave"]
    fresh_agent.respond("my boyfriend has been lying to me about stuff for months")
    turn = fresh_agent.respond("its that he lied to my face. i dont know if i can trust anything he says now")
    assert "question" not in turn.reply.text.lower()


@pytest.mark.parametrize("text", ["He was waiting for me to die so he could inherit it. Can you imagine.",
                                  "she told everyone at work. who does that?", "how could he say that to me??",
                                  # round 46: "I'd rather be honest than guess" to a clause that asks nothing
                                  "honestly i just dread going home lately. which is a grim thing to say about your "
                                  "own flat"])
def test_a_rhetorical_question_is_heard_not_answered(settings, text):
    """Round 32: '…he only married me for my money. Can you imagine.' got 'That's a fair question, and I'd rather not
    guess at it from here'."""
    assert DialogueActs(settings.data_dir).questions(text) == []
    assert DialogueActs(settings.data_dir).questions(text + " can you imagine what to do now?") != []
    assert DialogueActs(settings.data_dir).questions(text + " which is better, staying or going?") != []


def test_is_it_dumb_to_is_answered_in_its_own_word(fresh_agent):
    fresh_agent.respond("my boyfriend lied to me about looking at other girls and i can't stop thinking about it")
    turn = fresh_agent.respond("is it dumb to break up with him over this?")
    assert "isn't dumb to" in turn.reply.text and "break up with him" in turn.reply.text


def test_asking_to_hear_that_their_feelings_make_sense_hears_it(fresh_agent):
    fresh_agent.respond("my boyfriend lied to me about looking at other girls and i can't stop thinking about it")
    turn = fresh_agent.respond("i just want someone to tell me my feelings make sense")
    assert turn.reply.text.startswith("Your feelings make sense")


def test_a_specific_question_gets_an_answer_about_it_or_none(fresh_agent):
    # round 15: "do you know how i get the camera working?" was answered with a study timer (cosine 0.29 to it)
    fresh_agent.respond("im stuck in the house all day and my buddies all moved to zoom but i cant make the darn "
                        "thing work")
    turn = fresh_agent.respond("do you know how i get the camera working? ive been feeling pretty low")
    assert "timer" not in turn.reply.text and "Start Video" in turn.reply.text
    acts = fresh_agent.composer.tracker.acts
    assert acts.asks_any_step("so what should i even do about it?") and acts.asks_any_step("any advice?")
    assert not acts.asks_any_step("is it too late to start that at my age?")


def test_a_step_they_choose_is_said_back_and_affirmed_not_met_with_new_advice(fresh_agent):
    # round 16: "ok yeah that makes sense, i'll email them tonight" heard "pick one person you trust and send them…"
    fresh_agent.respond("finals are next week and only one of my teachers gave us a study guide")
    turn = fresh_agent.respond("ok yeah that makes sense, i'll email them tonight. still kinda freaking out tho")
    assert "to email them tonight" in turn.reply.text
    assert not any(kind in {"suggestion", "information"} for kind in turn.state.last_kinds)
    reader = fresh_agent.composer.decisions
    for worry in ("i'm going to fail all my exams", "i think i'm going to end it", "i'll probably just quit",
                  "im gonna lose my job", "i'll never find anyone"):
        assert reader.plan(worry, []) == [], worry


def test_correcting_a_safety_reply_does_not_rule_out_what_the_talk_is_about(fresh_agent):
    # round 16: "whoa, i'm not suicidal, i'm just scared about losing my apartment" ruled out money, so the rent
    # answer could no longer be found
    tracker = fresh_agent.composer.tracker
    previous = fresh_agent.respond("the eviction moratorium ended and i'm behind on rent, my landlord gave me notice").state
    correction = "whoa, i'm not in danger or suicidal, that's not what i meant. i'm just scared about losing my apartment"
    vector = fresh_agent.embedder.encode_one(correction)
    assert previous.problem == "money"
    assert "money" in tracker.update(previous, correction, vector).ruled_out
    previous.last_kinds = ["safety"]
    assert "money" not in tracker.update(previous, correction, vector).ruled_out


def test_a_judgement_word_alike_is_answered_and_a_like_opened_choice_is_weighed(fresh_agent):
    # round 17: "is that ridiculous at my age?" could not hear "It isn't silly…"; "like should i drop the class or…"
    # was no question at all
    fresh_agent.respond("my husband left me a few months ago. i'm 90 now and my granddaughter says i should try "
                        "online dating")
    turn = fresh_agent.respond("is that ridiculous at my age?")
    assert "silly" in turn.reply.text.lower()  # an answer written for 'is it silly…?'
    acts = fresh_agent.composer.tracker.acts
    assert acts.questions("like should i just drop the class or find someone else to help me, idk what to do")


def test_a_how_question_nothing_answers_is_thought_through_with_them(fresh_agent):
    # round 17: "any ideas how to keep that going?" heard "I don't know enough about that … a better guide"
    fresh_agent.respond("i quit my job and now everything that kept me sane is shut, i dance salsa and do standup")
    turn = fresh_agent.respond("any ideas how to keep the dancing and comedy going when everythings closed?")
    assert "better guide" not in turn.reply.text and turn.reply.text.count("?") == 1
    assert "scrolling" not in turn.reply.text  # a next step about sleep and mood is not about dancing


def test_the_body_of_a_reply_is_about_this_message_or_left_out(fresh_agent):
    # rounds 18-20, labelled line by line: 95 % of general affirmations ("You don't have to have it all figured out
    # to deserve care.") read as filler; a line of the body must be close to what was said (compose.TOPICAL_FLOOR)
    composer = fresh_agent.composer
    messages = ["i manage a small team and one guy keeps going around me to my bosses",
                "he drops little comments about how things are run, like he's angling to look better than me",
                "honestly it stings my ego more than i want to admit"]
    for message in messages:
        turn = fresh_agent.respond(message)
        vector = fresh_agent.embedder.encode_one(message)
        for utterance_id in turn.reply.utterances:
            if utterance_id not in composer.bank.by_id:
                continue
            index = composer.bank.by_id[utterance_id]
            floor = composer.floors.get(composer.bank[index].kind)
            if floor is not None and floor[index] > 0:
                assert float(composer.bank.text_vectors[index] @ vector) >= floor[index], composer.bank[index].text
        assert turn.reply.text.strip()


def test_an_apology_alone_is_followed_by_a_question(fresh_agent):
    fresh_agent.respond("i messed up really bad at school and i'm freaking out a bit")
    turn = fresh_agent.respond("did you even read what i said?? it's not about studying. i lost library books "
                               "and now they want me to pay almost 3000 dollars")
    assert turn.state.corrected and turn.reply.text.rstrip().endswith("?")


def test_a_complaint_is_not_the_question_the_next_one_is(fresh_agent):
    # round 18: "did u miss the part where i DID ask my prof?" was answered, "is rereading notes … or am i dumb" not
    fresh_agent.respond("i study for hours and still do bad on tests, i mostly reread my notes and highlight stuff")
    turn = fresh_agent.respond("did u miss the part where i DID ask my prof and he shut me down? that kinda killed "
                               "my motivation. is rereading notes just a bad way to study or am i actually just dumb")
    assert turn.state.open_question.startswith("is rereading notes")
    assert "rereading" in turn.reply.text.lower()


def test_another_troubles_answer_to_the_same_words_is_not_given(fresh_agent):
    # "should i tell my parents?" after a layoff heard the harassment answer "…they can help you report it"
    fresh_agent.respond("i got laid off last week after six years there")
    turn = fresh_agent.respond("should i tell my parents? they think i still work there")
    assert "report" not in turn.reply.text
    step = fresh_agent.respond("how do i even start looking again?")
    assert re.search(r"\b(cv|job|employment|careers?|applications?|interview|search|recruiters?)", step.reply.text, re.I), \
        step.reply.text


@pytest.mark.parametrize("text, form", [
    ("like maybe if i'd called someone it wouldnt have happened? is that my fault?", "fault"),
    ("do you think i was dumb to quit before having something else lined up?", "regret"),
])
def test_round_21_question_forms(settings, text, form):
    acts = DialogueActs(settings.data_dir)
    assert acts.form(acts.questions(text)[-1]) == form


def test_wondering_if_i_can_asks_but_not_knowing_if_i_can_go_on_does_not(settings):
    acts = DialogueActs(settings.data_dir)
    assert acts.questions("i was more wondering if i can ask them for more time or a payment plan")
    for despair in ("i dont know if i can do this anymore", "not sure if i can keep going like this"):
        assert acts.questions(despair) == [], despair


def test_a_fault_question_after_a_loss_is_not_met_with_another_situations_answer(fresh_agent):
    # round 21: "is that my fault?" after a miscarriage heard "I'd rather not guess", then (mid-fix) an answer
    # written for someone who reported a neighbour
    fresh_agent.respond("i lost a baby a few weeks ago. it was my first pregnancy")
    turn = fresh_agent.respond("maybe if i'd called someone it wouldnt have happened? is that my fault?")
    assert "rather not guess" not in turn.reply.text and "raised a genuine" not in turn.reply.text
    assert turn.state.last_kinds[0] == "answer", turn.reply.text


def test_a_reply_is_never_a_bare_question_when_nothing_close_can_be_said_back(fresh_agent):
    # round 21: "you keep asking me questions but not saying much back"
    fresh_agent.respond("been stuck inside so long im starting to climb the walls. not doing so good")
    for message in ("its this covid lockdown. im an old vet, got hurt in the service, and getting out was already "
                    "hard enough. now i cant go anywhere at all and its getting me down pretty bad",
                    "used to be going down to the vfw hall and seeing the guys. now they do it all on zoom and i "
                    "cant get the dang thing to work"):
        turn = fresh_agent.respond(message)
        assert turn.state.last_kinds and turn.state.last_kinds[0] != "question", turn.reply.text
        assert turn.reply.text.count("?") <= 1


def test_a_call_to_a_relative_they_chose_is_said_back(fresh_agent):
    reader = fresh_agent.composer.decisions
    said = reader.plan("yeah keeping it about worry makes sense, i think i'll call my other cousin this weekend", [])
    assert said and "call your other cousin this weekend" in said[0][1]


def test_a_line_for_someone_who_lost_their_job_is_not_said_to_someone_who_fears_losing_it(fresh_agent):
    composer = fresh_agent.composer
    composer.setup()
    line = "You have skills and experience that didn't disappear when the job did, even if they feel hard to see right now."
    assert composer.presumes(line, "kinda scared of losing my job over this tho")
    assert not composer.presumes(line, "i got laid off last week")


def test_a_technical_question_before_the_trouble_is_known_finds_its_answer(fresh_agent):
    # round 22: "is there some trick to this zoom business so people can hear me?" heard "I'd rather not guess"
    fresh_agent.respond("this covid lockdown mostly. im an old vet and i cant even go see my buddies")
    turn = fresh_agent.respond("the hardest part is feeling useless. cant even work a darn computer. is there some "
                               "trick to this zoom business so people can hear me?")
    assert re.search(r"audio|microphone|unmute", turn.reply.text, re.I), turn.reply.text


def test_a_written_answer_whose_question_is_this_close_is_given(fresh_agent):
    # round 22: "do you think i'll even find anything?" (0.79 to a listed question) heard a stock "If nobody else's
    # opinion counted…"; a short "wait what views?" is a puzzled echo, not a question to answer
    fresh_agent.respond("company's doing cutbacks and i'm getting furloughed, it might turn into losing the job")
    turn = fresh_agent.respond("the economy is so bad right now tho, do you think i'll even find anything?")
    assert "Nobody can promise" in turn.reply.text, turn.reply.text
    acts = fresh_agent.composer.tracker.acts
    assert all(acts.asks_nothing(q) for q in acts.questions("wait what views? this isnt about different opinions"))


def test_two_questions_with_written_answers_are_both_answered(fresh_agent):
    fresh_agent.respond("i got laid off last week after six years there")
    turn = fresh_agent.respond("is it normal to feel this lost? and do you think i'll ever find a job?")
    assert "Nobody can promise" in turn.reply.text and len(turn.reply.utterances) >= 2, turn.reply.text


def test_a_topic_denied_is_ruled_out_whatever_the_words_lean_to(fresh_agent):
    # round 23: "it's not really work, work is fine" heard "What part of work is weighing on you most?"
    fresh_agent.respond("hey. i've been really low the past few weeks and i'm kind of just going through the motions at work")
    turn = fresh_agent.respond("it's not really work, work is fine, i just started full time. it's more... something "
                               "happened and i can't stop thinking about it")
    assert {"work_stress", "job_loss"} <= set(turn.state.ruled_out)
    assert "work" not in turn.reply.text.lower(), turn.reply.text


def test_a_question_pointing_back_is_read_with_what_it_points_at(fresh_agent):
    # round 24: "you got any tips for an old guy on getting it to work?" (it = zoom, the sentence before) heard
    # "I'd rather not guess at something that matters this much"
    fresh_agent.respond("its this covid lockdown. im an old vet and now i cant even go to the VFW or see my buddies")
    turn = fresh_agent.respond("i just told you, being stuck and not able to work that zoom thing. you got any tips "
                               "for an old guy on getting it to work? i feel like a dinosaur")
    assert re.search(r"audio|microphone|unmute|video", turn.reply.text, re.I), turn.reply.text


def test_an_answer_for_another_plausible_trouble_is_given_when_its_topic_was_said(fresh_agent):
    # round 24: keeping a high-risk mother safe during a move heard "I don't have a ready answer for that one"
    fresh_agent.respond("my dad passed away a little while ago and i lost my job around the same time")
    fresh_agent.respond("we have to move to a smaller place now bc money's tight, and im taking care of my mom too. "
                        "she's high risk so im terrified one of us gets covid during all this")
    turn = fresh_agent.respond("how am i supposed to keep my mom safe with movers and strangers in and out of the "
                               "house, am i overthinking this?")
    assert "ready answer" not in turn.reply.text and re.search(r"mask|window", turn.reply.text), turn.reply.text


def test_a_short_question_is_read_with_what_they_add_after_it(fresh_agent):
    composer = fresh_agent.composer
    fresh_agent.respond("i quit my job a few months ago and ive been looking for a work from home job since")
    ctx_text = ("yeah ok. do you have any actual ideas tho? like for finding remote work, bc right now i just scroll "
                "job boards and give up after 10 min")
    turn = fresh_agent.respond(ctx_text)
    alone = composer.embedder.encode_one("do you have any actual ideas tho?")
    remote = composer.embedder.encode_one("how do i find remote work?")
    assert "rather not guess" not in turn.reply.text, turn.reply.text
    assert float(alone @ remote) < 0.3  # the question alone says nothing of what they want ideas for


def test_a_person_who_quit_is_not_told_about_losing_a_job(fresh_agent):
    composer = fresh_agent.composer
    composer.setup()
    line = "Plenty of capable people lose jobs through no failing of their own, and going through it says nothing bad about who you are."
    assert composer.contradicted(line, "affirmation", "i quit my job a few months ago, they ignored covid safety")
    assert not composer.contradicted(line, "affirmation", "i got laid off a few months ago")


def test_an_answer_of_the_same_form_must_be_about_what_was_said(fresh_agent):
    # round 23: "is it normal to feel this anxious and down all the time?" after a cancelled surgery and a death
    # heard an answer written for nerves before an intimate examination
    for message in ("my back is killing me again and i just feel kind of hopeless about everything",
                    "its been 8 years of this pain. i was supposed to have surgery but they cancelled it bc the "
                    "hospitals are full, so now i just wait",
                    "sleep is bad yeah. and on top of that my mom died a couple months ago"):
        fresh_agent.respond(message)
    turn = fresh_agent.respond("i dont really know. is it normal to feel this anxious and down all the time? like "
                               "some days i can barely get out of bed and i dont know if its the pain or the grief")
    assert "tell the doctor you're anxious" not in turn.reply.text, turn.reply.text


def test_a_reply_with_nothing_close_to_say_back_still_does_not_open_with_a_question(fresh_agent):
    # round 24: "What has been the hardest part of all this for you?" was a whole reply to a voiced worry
    for message in ("ugh i'm just so frustrated with someone in my family right now",
                    "its my cousin. she's so sensitive lately, anything sets her off",
                    "i was thinking of talking to my other cousin about it. do you think thats a good idea or would "
                    "it feel like going behind her back?"):
        fresh_agent.respond(message)
    turn = fresh_agent.respond("ok that actually helps, framing it as worry not blame. i guess what worries me most "
                               "is she finds out and feels like we're all ganging up on her, and then she shuts me out")
    assert not turn.reply.text.startswith(("What", "How", "Who", "When")), turn.reply.text
    acts = fresh_agent.composer.tracker.acts
    assert acts.worry("ok that helps. what worries me most is she finds out") == "what worries me most is she finds out"
    assert acts.worry("what worries me most? no idea") is None


def test_a_question_asked_again_in_other_words_is_read_as_asked(fresh_agent):
    # round 25: "i was just asking if breaking up over this is reasonable" (after a misread) was not heard as asked
    acts = fresh_agent.composer.tracker.acts
    assert acts.asked("kinda threw me off tbh, i was just asking if breaking up over this is reasonable") == \
        ["breaking up over this is reasonable?"]
    assert acts.asked("i was asking whether i should quit") == ["should i quit?"]
    assert acts.asked("im not asking if you care") == []


def test_what_cannot_be_judged_from_here_names_who_can(fresh_agent):
    # round 24-25: "I'd rather not guess at it from here" to questions only someone with the details can answer
    fresh_agent.respond("my manager keeps mocking me in meetings and hr laughed it off")
    turn = fresh_agent.respond("will it get back to him if i report it again?")
    assert re.search(r"HR|union|employment adviser", turn.reply.text), turn.reply.text
    assert "rather not guess at it from here" not in turn.reply.text


@pytest.mark.parametrize("text, denied", [
    # round 40: a job offer abroad was heard as a job loss for four turns, a new teacher as a student for three
    ("um, i haven't lost anything, i still have the job lol. you mean the institute one?", "job_loss"),
    ("nobody's losing a job. i'm choosing between two", "job_loss"),
    ("im not studying, im the one teaching lol", "academic"),
    ("again, im not a student. im a teacher", "academic"),
])
def test_a_problem_type_denied_in_words_of_no_topic_is_ruled_out(settings, text, denied):
    acts = DialogueActs(settings.data_dir)
    assert denied in acts.denied_problems(text)
    assert acts.denied_problems("i still have the receipt, should i return it?") == []
    assert acts.denied_problems("im the one who always plans everything") == []


def test_an_answer_to_one_situations_question_needs_that_question(fresh_agent):
    """Round 42 replayed: "how do you just leave after 4 years with no explanation" (someone left by a partner)
    heard "No, it's never too late, and many people separate later in life…", written for "i want to leave after
    so many years together" (cosine 0.61); such answers ("match": "listed") are said only for questions close to
    their own, never as the nearest answer of a form or topic."""
    bank = fresh_agent.composer.bank
    assert bank.listed_only.sum() > 2000 and not bank.listed_only[bank.kind != "answer"].any()
    turns = json.loads((Path(__file__).parent / "data" / "roleplay" / "round42" / "card_zh26.json").read_text())
    for said in turns["turns"][:2]:
        fresh_agent.respond(said["seeker"])
    turn = fresh_agent.respond(turns["turns"][2]["seeker"])
    assert "never too late" not in turn.reply.text, turn.reply.text


def test_nothing_to_do_with_a_topic_rules_it_out(fresh_agent):
    # round 27: lost library books were read as studying through three corrections ("this has nothing to do with
    # studying", "i'm not struggling with studying", "it's not my studies that's hard")
    acts = fresh_agent.composer.tracker.acts
    for text in ("what? this has nothing to do with studying. the problem is they want me to pay for them",
                 "i'm not struggling with studying. i owe the library almost 3 grand",
                 "but again it's not my studies that's hard, it's the money and the deadline"):
        assert "academic" in acts.denied_problems(text), text
    assert acts.denied_problems("i have nothing to do today") == []
    fresh_agent.respond("so i borrowed some books from the school library and i lost them. like 5 of them")
    turn = fresh_agent.respond("what? this has nothing to do with studying. the problem is they want me to pay for "
                               "them and it's almost 3000")
    assert "academic" in turn.state.ruled_out and "stud" not in turn.reply.text.lower(), turn.reply.text


# -- saying back what they told us (restate.py) -----------------------------------------------------------------
@pytest.fixture(scope="module")
def restater(settings):
    from agent.planner.restate import Restater

    return Restater(settings.data_dir)


@pytest.mark.parametrize("message, said_back", [
    ("are you even reading what i'm writing?? i'm not struggling with studying. i owe the library almost 3 grand",
     "So you owe the library almost 3 grand."),
    ("its an eviction notice. the cdc moratorium ended and im behind on rent bc i lost hours during covid",
     "you're behind on rent because you lost hours during COVID"),
    ("ugh. theyve basically piled two jobs on me since someone left tbh", "So they've piled two jobs on you"),
    ("i study for hours and then i get to the test and just blank, i'm so scared of the finals",
     "you're so scared of the finals"),  # the feeling at its heart, of two clauses
    # round 33: "were" after a subject is the past tense, not "we're" ("a couple of them you're lying to you")
    ("i found out a couple of them were lying to me, like cheating me on stuff behind my back",
     "a couple of them were lying to you"),
])
def test_what_they_told_is_said_back_in_their_own_words(restater, message, said_back):
    found = restater.restate(message)
    assert found is not None and said_back in found.text, found


@pytest.mark.parametrize("message", [
    "are you even reading what i'm writing?? you keep asking about my studies",   # about the talk itself
    "i cut myself again last night and i don't know how to stop",                # only lines written for it
    "my mom passed away two weeks ago and the house is so quiet",                 # named back as her death
    "i guess i just wanted someone to hear me out about the whole thing",        # a hedge, nothing told
    "should i ask the library for a payment plan or would that make it worse?",   # a question is answered
    "yeah.", "i'm sad",                                                          # nothing specific
    "its just a lot, the pain and the waiting and missing her all at once",       # no verb: not a clause
    "but i work in supply chain and i see the orders",                            # background, not the point
])
def test_nothing_is_said_back_that_is_not_theirs_to_hear_again(restater, message):
    assert restater.restate(message) is None


def test_a_clause_said_back_holds_only_their_words(restater):
    """Every word said back is the person's, pronouns turned round and chat spellings mended: over every seeker
    turn of the recorded role-plays."""
    turned = {"you", "your", "yours", "yourself", "you're", "you've", "you'd", "you'll", "yourselves", "are", "were"}
    mended = {w.lower() for spelled in restater.spellings.values() for w in spelled.split()}
    frames = {w.lower() for frames in restater.frames.values() for f in frames for w in re.findall(r"[a-z']+", f, re.I)}
    checked = 0
    for path in sorted(ROLEPLAYS.parent.glob("round2*/card_*.json")):
        for turn in json.loads(path.read_text())["turns"]:
            found = restater.restate(turn["seeker"])
            if found is None:
                continue
            checked += 1
            theirs = set(re.findall(r"[a-z']+", turn["seeker"].lower().replace("’", "'")))
            words = set(re.findall(r"[a-z']+", found.text.lower()))
            assert words <= theirs | turned | mended | frames, (turn["seeker"], found.text)
            assert found.text[0].isupper() and found.text.endswith("."), found.text
    assert checked >= 100


def test_a_reply_says_back_what_they_told_but_not_every_turn(fresh_agent):
    fresh_agent.respond("work has been wrecking me lately. i dont even know where to start honestly")
    told = fresh_agent.respond("theyve piled two peoples jobs on me since someone left. im staying late every night")
    assert any(u.startswith("restate:") for u in told.reply.utterances), told.reply.text
    assert "on you since someone left" in told.reply.text or "staying late every night" in told.reply.text
    more = fresh_agent.respond("my manager makes fun of me in meetings in front of everyone and hr shrugged it off")
    assert not any(u.startswith("restate:") for u in more.reply.utterances), more.reply.text  # not a formula
    corrected = fresh_agent.respond("no thats not it. the problem is my manager humiliates me in front of the team")
    assert any(u.startswith("restate:") for u in corrected.reply.utterances), corrected.reply.text  # heard this time


# -- round 28 --------------------------------------------------------------------------------------------------
def test_what_a_message_asks_in_other_words(settings):
    acts = DialogueActs(settings.data_dir)
    assert acts.asks_any_step("like is there anything i can even do here??")
    assert acts.asked("i mean i told you everything lol, i just wanted to know if its ok to leave over lying") == \
        ["its ok to leave over lying?"]
    assert acts.asked("i dunno, thats kinda why im here?") == []  # pushes back; asks nothing


def test_another_question_is_answered_only_by_an_answer_written_for_one_like_it(fresh_agent):
    fresh_agent.respond("i quit my admin assistant job a while back and now i cant find a work from home job anywhere")
    turn = fresh_agent.respond("honestly what would even help? i just feel so demotivated i cant make myself apply "
                               "anymore. do you think i made a mistake quitting?")
    bank = fresh_agent.composer.bank
    said = [bank[bank.by_id[u]] for u in turn.reply.utterances if u in bank.by_id]
    assert said[0].kind == "answer" and "choice" in said[0].text, turn.reply.text  # "It's easy to judge a choice…"
    assert not re.search(r"linkedin|profile", turn.reply.text, re.I), turn.reply.text


def test_a_choice_of_no_known_kind_is_met_by_written_help_about_it(fresh_agent):
    fresh_agent.respond("im getting furloughed and i have a family and bills, im scared i wont find anything")
    turn = fresh_agent.respond("i havent touched my resume in over 10 years. should i just redo the whole thing "
                               "from scratch?")
    assert not any(u.startswith("decision:any_") for u in turn.reply.utterances), turn.reply.text
    assert re.search(r"\b(cv|resume|careers)\b", turn.reply.text, re.I), turn.reply.text


@pytest.mark.parametrize("card", ["card_06", "card_08"])
def test_a_stock_line_about_a_situation_they_never_described_is_not_said(fresh_agent, card):
    """Round 28: "You could practise a few kind ways of saying no…" to a man angry at a VP's rigged numbers."""
    seeker = [t["seeker"] for t in json.loads((ROLEPLAYS.parent / "round28" / f"{card}.json").read_text())["turns"]]
    for turn in _replay(fresh_agent, seeker):
        assert "saying no" not in turn.reply.text, (turn.user_text, turn.reply.text)


def test_a_question_after_a_complaint_in_the_same_sentence_is_answered(fresh_agent):
    """Round 29: "…you kind of skipped the part where i said it might have been different if i went to hospital, do
    you think it was my fault?" was heard only as the complaint, twice."""
    acts = DialogueActs(fresh_agent.settings.data_dir)
    message = ("ok yeah maybe i will book something. but you kind of skipped the part where i said it might have been "
               "different if i went to hospital, do you think it was my fault?")
    assert acts.asked(message) == ["do you think it was my fault?"]
    fresh_agent.respond("i lost a baby a few weeks ago. it happened at home and i didnt go to a doctor")
    turn = fresh_agent.respond(message)
    assert turn.state.open_question == "do you think it was my fault?"
    assert re.search(r"blame|fault", turn.reply.text, re.I), turn.reply.text


def test_reported_asking_and_pointing_at_a_question_are_not_misread(settings):
    """Round 30: "when i asked if he watches porn he said no" was heard as a question to answer, and "thats what im
    asking about, …" as a correction."""
    acts = DialogueActs(settings.data_dir)
    assert acts.asked("i caught him looking at pics of other girls and when i asked if he watches porn he said no but "
                      "he totally does, i saw it") == []
    message = "thats what im asking about, the link opens and then they cant hear me. any idea what im doing wrong?"
    assert not acts.correction.search(message) and not acts.clarify.search(message)


def test_an_answer_written_for_its_topic_is_given_however_loosely_its_words_pair(fresh_agent):
    """Round 30: "everyone says network network but i hate that stuff … how do people even do that without feeling
    fake?" found the written networking answer too loose (0.27) and heard a step about telling people the news."""
    for text in ["my company is doing cutbacks and im getting furloughed, im scared i wont find anything",
                 "i havent updated my resume in like 10+ years. i dont even know where to start with it"]:
        fresh_agent.respond(text)
    turn = fresh_agent.respond("and everyone says network network but i hate that stuff, i never know what to say. "
                               "how do people even do that without feeling fake?")
    assert re.search(r"people you already know|ask what they're seeing", turn.reply.text), turn.reply.text


@pytest.mark.parametrize("text, plan", [
    ("Ha, no I will not be sending money to anyone. Maybe I will try the church social too. Thank you dear.", True),
    ("end of next month. i guess a first step is just packing one room at a time", True),
    ("maybe ill just quit then, whats the point", False),          # weighed, not cheered
    ("maybe i could just stay in bed all weekend", False),
    ("i guess id hope to feel calmer. but i also love him so idk. maybe ill wait a few days like you said", True),
    ("ok that actually makes sense, talk to him privately first and keep notes just in case", True),
    ("that makes sense but idk", False),
])
def test_a_step_of_their_own_is_noticed_not_met_with_how_hard_it_is(settings, fresh_agent, text, plan):
    """Rounds 30-31: "maybe i will try the church social too … thank you dear" heard "I can see why that would get
    to you"; round 32: "maybe ill wait a few days like you said" heard "glad you're feeling a bit better"."""
    assert (DialogueActs(settings.data_dir).act(text) == "own_step") == plan
    if plan:
        turn = fresh_agent.respond(text)
        assert not re.search(r"hard to carry|tough spot|get to you|feeling (a bit )?better", turn.reply.text), \
            turn.reply.text


def test_asked_for_steps_not_feelings_the_replies_stop_asking_how_they_feel(fresh_agent):
    """Round 32: 'honestly i dont need to talk about feelings rn, i need to know what to do' was followed by 'If a
    close friend were in your position, what would you want for them?'."""
    fresh_agent.respond("i lost some books i borrowed from the library and now they want me to pay almost 3000")
    turns = [fresh_agent.respond(text) for text in [
        "panic mostly. and honestly i dont need to talk about feelings rn, i need to know what to do",
        "my advisor basically said not her problem",
        "and my parents cant help either"]]
    assert all(t.state.wants_practical for t in turns)
    assert not any("?" in t.reply.text for t in turns), [t.reply.text for t in turns]
    assert any(t.plan.strategy in {"Providing Suggestions", "Information"} for t in turns)


def test_a_loss_just_told_frames_the_turns_after_it(fresh_agent):
    """Round 32: back pain for two turns, then 'i lost my mom recently', then 'i keep wondering if i could have done
    something' heard 'I don't want to guess about your health'."""
    for text in ["my back has been killing me for years and i cant shake this heavy feeling",
                 "my surgery got cancelled again bc the hospitals are full",
                 "and on top of it i lost my mom recently, they think it was probably the virus"]:
        fresh_agent.respond(text)
    turn = fresh_agent.respond("i couldnt even be with her much at the end. i keep wondering if i could have done "
                               "something")
    assert turn.state.event_problem == "grief"
    assert "guilt" in turn.reply.text.lower() and "health" not in turn.reply.text.lower(), turn.reply.text
    assert "who you lost" not in turn.reply.text


def test_a_loss_told_in_passing_does_not_turn_the_talk_to_grief(fresh_agent):
    """Round 32: 'we all carried her through a lot, esp when my parents died' (about a cousin) heard a line about
    being foggy while grieving."""
    fresh_agent.respond("its my cousin. shes so sensitive about everything, one day shes fine and the next shes "
                        "crying or snapping over nothing")
    turn = fresh_agent.respond("we all carried her through a lot, esp when my parents died. but lately she seems "
                               "like shes about to have a breakdown and i dont know how to talk to her anymore")
    assert turn.state.event_problem == "" and "griev" not in turn.reply.text.lower(), turn.reply.text


def test_a_question_typed_after_a_complaint_without_a_question_mark_is_asked(settings, fresh_agent):
    """Round 34: 'and you didnt answer me, should i go to therapy or not' kept the earlier question open and got
    'That's a fair question, and I'd rather not guess at it from here'."""
    acts = DialogueActs(settings.data_dir)
    assert acts.asked("i just told you, i ended it. and you didnt answer me, should i go to therapy or not") == \
        ["should i go to therapy or not"]
    assert acts.asked("ok, i will try that tonight") == []
    fresh_agent.respond("i feel really alone, my fiance is overseas for months and i ended my only friendship")
    turn = fresh_agent.respond("you didnt answer me, should i go to therapy or not")
    assert turn.state.open_question == "should i go to therapy or not"
    assert "therap" in turn.reply.text.lower() or "that kind of help" in turn.reply.text, turn.reply.text


def test_cheated_on_but_still_together_is_not_met_as_a_breakup(fresh_agent):
    """Round 34 (cards never tuned on): 'we're still together' after 'he cheated' heard 'What do you miss most when
    your mind goes back to the relationship?' and 'When the breakup is a divorce…'."""
    fresh_agent.respond("i found out a few months ago my boyfriend cheated on me. we're still together but i keep "
                        "checking his phone and hating myself for it")
    turn = fresh_agent.respond("i mean we didnt break up, i'm still with him. he keeps bringing up getting married "
                               "and i dont even know if he's grown up enough to be faithful")
    assert fresh_agent.composer.problem_turns["breakup"][1] == "partner_conflict"
    assert not re.search(r"breakup|divorce|miss most|your ex\b", turn.reply.text, re.I), turn.reply.text


def test_a_job_not_lost_is_not_a_job_loss(settings, fresh_agent):
    """Round 34: 'wont let me go to the store' was heard as being let go ('Losing your job is a real shock'), and
    'i didnt lose my job' kept the job-loss lines ('How did things end at work?')."""
    from agent.planner.events import LifeEvents

    assert LifeEvents(settings.data_dir).read("shes terrified of the virus, wont let me go to the store") == []
    assert [e.key for e in LifeEvents(settings.data_dir).read("my boss let me go last week")] == ["job_loss"]
    acts = DialogueActs(settings.data_dir)
    assert "job_loss" in acts.denied_problems("what? i didnt lose my job, i said i work from home")
    composer = fresh_agent.composer
    composer.setup()
    assert composer.contradicted("How did things end at work, if you feel like sharing?", "question",
                                 "what? i didnt lose my job, i said i work from home")


@pytest.mark.parametrize("messages, expected", [
    (["my best friend is having heart surgery on thursday and im scared for him",
      "what do you even say to someone the night before something like that?"], "Thinking of you tomorrow"),
    (["i found out my husband has been cheating on me and our baby is one month old",
      "how do i confront him without it turning into a screaming match in front of the baby?"], "agree to pause"),
])
def test_practical_questions_from_the_held_out_rounds_are_answered(fresh_agent, messages, expected):
    """Rounds 34-35 (cards 21-62): 'That's a fair question, and I'd rather not guess' to questions a person would
    answer."""
    for text in messages[:-1]:
        fresh_agent.respond(text)
    assert expected in fresh_agent.respond(messages[-1]).reply.text


@pytest.mark.parametrize("messages, presumed", [
    # round 36: a girlfriend's "space" met with "space from the friendship", a coworker with "what the friendship
    # means to you", a stranger on a train with "How much has this friendship meant to you?"
    (["my girlfriend is really upset with me right now",
      "she found my browser history and confronted me about it. she said she feels like shes not enough for me",
      "she said maybe she needs some space. how do i make her understand its not about her?"], r"friendship"),
    (["its mostly this one coworker. we work completely differently and she changes stuff last minute",
      "how do i even bring it up without it turning into a fight tho? shes kind of defensive"], r"friendship"),
    # a wife never said to have left, and parents divorced years ago, met as the writer's own breakup
    (["i saw a snapchat on my wifes phone from her friend and she lied about where she was",
      "i just dont know how to bring it up without a huge fight. how do i even start that conversation?"],
     r"breakup|the relationship\b|your ex\b|divorce"),
    (["im really angry at my parents right now and i feel gross",
      "theyre divorced and my dad only shows up every few weeks. when he stays over i can hear them. its so gross"],
     r"breakup|the relationship\b|your ex\b|divorce"),
    # round 39: a teenager annoyed with her mom, and one angry at his cheating dad, asked about "the person you're
    # caring for" (any mention of a parent had let caregiving lines through)
    (["ugh my mom is being so annoying rn",
      "shes on my case about robotics club. says im spending too much time there and not enough on homework"],
     r"caring|the load"),
])
def test_a_relationship_they_never_described_is_not_presumed(fresh_agent, messages, presumed):
    for turn in _replay(fresh_agent, messages):
        assert not re.search(presumed, turn.reply.text, re.I), (turn.user_text, turn.reply.text)


def test_a_statement_ending_in_a_question_mark_gets_no_i_cant_say(fresh_agent):
    """Round 37: "…and i kinda get it but also its S's life?" got "I can't be sure from here, and I'd rather be honest
    than guess", to a seeker who had asked nothing."""
    turns = _replay(fresh_agent, [
        "ugh idk even know where to start. my friend group is kind of a mess rn and im stuck in the middle of it",
        "so my best friend A really doesnt like how our other friend S has been acting lately. like S keeps dating "
        "guys that A thinks are trash and A talks about it to me constantly. and i kinda get it but also its S's life?"])
    assert not re.search(r"can't be sure|rather not guess|rather be honest", turns[-1].reply.text), turns[-1].reply.text



def test_someone_in_their_story_not_answering_is_no_complaint_to_own(settings):
    """Round 44: 'if he didnt answer for a couple hours id assume he didnt care' was read as 'you didn't answer my
    question' and the reply opened 'I'm sorry, I missed what you actually said there.'"""
    acts = DialogueActs(settings.data_dir)
    assert not acts.unanswered.search("if he didnt answer for a couple hours id assume he didnt care")
    assert not acts.unanswered.search("she never answered my texts after that")
    for complaint in ("u didnt even answer, would anyone notice??", "you have not answered my question",
                      "that didn't really answer anything lol", "ok but you still didn't answer",
                      "you kind of didn't answer though", "you dodged it again"):
        assert acts.unanswered.search(complaint), complaint


def test_a_question_of_the_same_intent_is_not_asked_twice(fresh_agent):
    """Round 44 (zh52): 'Who else in your life have you been able to lean on lately?' on turn 2, then 'Who in the
    family, if anyone, do you feel able to talk to about this?' on turn 4 ('you asked again about family'); zh46:
    'What do the arguments between you usually start over?' after 'we end up arguing about dumb stuff'."""
    from types import SimpleNamespace

    from agent.types import AgentQuestion, DialogueState
    composer = fresh_agent.composer
    composer.setup()
    assert composer.contradicted("What do the arguments between you usually start over?", "question",
                                 "when we call we end up arguing about dumb stuff, who didnt call")
    index = {u.text: i for i, u in enumerate(composer.bank.utterances)}
    state = DialogueState(agent_questions=[
        AgentQuestion(text="Who else in your life have you been able to lean on lately?", turn=1)])
    ctx = SimpleNamespace(state=state, known_text="we had a fight about money at my party")
    assert composer._already_answered(ctx, index["Who in the family, if anyone, do you feel able to talk to about this?"])
    assert not composer._already_answered(ctx, index["How have you been sleeping lately, with all of this going on?"])


def test_lines_presuming_pictures_an_eviction_or_a_death_wait_for_them(fresh_agent):
    """Round 45: a streamer mocked in clips ('they clip stuff and post it') heard 'Even if you once shared intimate
    pictures…'; a rent rise heard 'If you get a court or eviction notice…' and 'Facing the loss of your home…'; 'the
    lab freezer died' heard 'I'm so sorry for your loss.'"""
    composer = fresh_agent.composer
    composer.setup()
    trolls = "a few accounts keep spamming my chat about how i look, and they clip stuff and post it to make fun of me"
    assert composer.presumes("Even if you once shared intimate pictures with someone, that never means you deserve "
                             "this; using them as a threat is what's wrong.", trolls)
    assert not composer.presumes("Even if you once shared intimate pictures with someone, that never means you "
                                 "deserve this.", "he says he'll post my nudes unless i pay")
    rent = "my landlord put the rent up 180 a month and ive been putting the difference on my credit card"
    assert composer.presumes("Facing the loss of your home is frightening, and it's hard to think about anything "
                             "else.", rent)
    assert not composer.presumes("Facing the loss of your home is frightening.", "we got an eviction notice today")
    assert composer.events.new("the lab freezer died over the holiday weekend and nobody noticed", []) == []
    assert composer.events.new("my dad died last month", [])


@pytest.mark.parametrize("line, said, presumed", [
    # rounds 49-50: each line was said to the first, and fits the second
    ("If you owe money, what contact have you had so far with the people or companies involved?",
     "the startup shut down on a friday zoom call and they still owe us 2 months salary", True),
    ("If you owe money, what contact have you had so far with the people or companies involved?",
     "i owe about 6800 on two cards and a buy now pay later thing", False),
    ("Food banks and community pantries are there for times when money is tight.",
     "my brother's fees are due in seven weeks and the job pays half what i made", True),
    # round 52 (card_k01): "its eating at me" is no hunger
    ("Food banks and community pantries are there for times when money is tight.",
     "been sitting on something at work and its eating at me. we just took a loan for our sons flat deposit", True),
    ("Pain is real even when it doesn't show on the outside or tests haven't explained it yet.",
     "since the gig i've had this constant ringing in my left ear", True),
    ("Pain is real even when it doesn't show on the outside.", "my back pain has been unbearable for months", False),
    ("I'm sorry, that sounds really painful.", "my abuela had part of her foot amputated and i do her insulin", True),
    ("I'm sorry, that sounds really painful.", "my girlfriend left me after six years", False),
    ("Who, if anyone, have you been able to talk to about how your studies are going?",
     "im a teacher myself lol. i failed my driving test last week. fourth time", True),
    # rounds 47-48 replayed: mean comments on a video, with no threat, crime or fear in them
    ("Are you somewhere safe right now, where the person or people bothering you can't reach you?",
     "people keep leaving mean comments on my baking videos about my face and my voice", True),
    ("Contacting the police is worth considering for threats, stalking or sextortion.",
     "he says he'll send my pics to everyone unless i pay him", False),
])
def test_a_situation_they_never_told_is_not_presumed(fresh_agent, line, said, presumed):
    composer = fresh_agent.composer
    composer.setup()
    assert composer.presumes(line, said) == presumed


@pytest.mark.parametrize("message, reply, rejected", [
    # rounds 49-50: corrected, and then said again ("keeps calling the tinnitus 'pain' even after being corrected")
    ("not painful, just ringing. i saw an audiologist, not a doctor.", "I'm sorry, that sounds really painful.",
     ["pain"]),
    ("uh what? i didnt say anything about an artist. i play cello", "A deep passion for an artist can be comforting.",
     ["artis"]),
    ("its not a breakup?? its friends.", "What does a day look like since the breakup?", ["break"]),
    ("guilt? im not feeling guilty, im feeling insecure.", "Guilt is very common here.", ["guilt"]),
    # negated in passing, or their own word: nothing is rejected
    ("i'm not sure what to do honestly", "Are you sure? What would you do?", []),
    ("no, my sister isn't helping at all", "How is your sister helping?", []),
])
def test_a_word_the_person_says_was_wrong_is_rejected(fresh_agent, message, reply, rejected):
    tracker = fresh_agent.composer.tracker
    earlier = "my sister and i dont talk much" if "sister" in message else "hey"
    state = tracker.update(DialogueState(), message, fresh_agent.embedder.encode_one(message), [(earlier, reply)])
    assert state.rejected == rejected


def test_a_rejected_word_is_not_said_again_until_the_person_uses_it(fresh_agent):
    """Round 49 (card_j11): "not painful, just ringing" was followed by "Pain is real even when it doesn't show"."""
    fresh_agent.respond("i'm a sound engineer and since a festival gig i've had this constant ringing in my left ear")
    fresh_agent.history[-1].reply.text = "I'm sorry, that sounds really painful."  # what round 49 heard
    turn = fresh_agent.respond("not painful, just ringing. the audiologist said come back for a retest in three "
                               "months. is it normal to be this freaked out over a mild dip?")
    assert "pain" in turn.state.rejected
    later = fresh_agent.respond("it's leaking into work, i second guess my mixes now and it's kind of embarrassing")
    assert not any("pain" in t.reply.text.lower() for t in (turn, later)), (turn.reply.text, later.reply.text)
    assert fresh_agent.respond("ok it is a bit painful sometimes actually, after long sessions").state.rejected == []


def test_good_news_that_turns_to_its_trouble_is_not_celebrated(fresh_agent):
    """Round 49 (card_j08): "which is great, honestly, i'm proud of her. but … i've sort of ended up feeling like a
    lodger" heard "Great to hear; that sounds like something worth celebrating." """
    fresh_agent.respond("hey. i think i'm just feeling a bit sidelined at home lately")
    turn = fresh_agent.respond("my wife's training for a marathon. valencia, in december. which is great, honestly, "
                               "i'm proud of her. but it's long runs every sat and sun morning and then running club "
                               "pub night thursdays, and i've sort of ended up feeling like a lodger")
    assert "great to hear" not in turn.reply.text.lower() and "celebrat" not in turn.reply.text.lower(), \
        turn.reply.text


def test_a_why_or_how_question_gets_no_yes_or_no(fresh_agent):
    """Round 48 replayed (card_h18): "why do i feel so ashamed?" met "Yes, feeling embarrassed or ashamed …"."""
    composer = fresh_agent.composer
    composer.setup()
    assert composer.clashes("so why do i feel so ashamed?", "Yes, feeling embarrassed or ashamed is very normal.")
    assert composer.clashes("how do i stop?", "No, there's no single way.")
    assert not composer.clashes("is it normal to feel this ashamed?", "Yes, feeling ashamed is very normal.")
