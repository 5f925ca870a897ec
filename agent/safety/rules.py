"""Explicit warning signs: phrases of suicide, self-harm, abuse and harm to others, minus known idioms and talk about
the topic. High precision on what they match; the trained head (head.py) carries the indirect cases.

Families follow common crisis-line screening cues: wanting to die, means, plans, final arrangements, burden,
goodbyes, self-injury, coercive control, threats.
"""
from __future__ import annotations

import re

_PATTERNS = {
    "suicide": r"\b(kill(ing)? my ?self|(drown(ing)?|hang(ing)?|shoot(ing)?|poison(ing)?) my ?self\b(?! (in|with|on|at|up) )|suicidal|(attempt(ed|ing)?|commit(ted|ting)?|thinking about|think about|thoughts? of|contemplating|considering) suicide|suicide (note|letter|plan|attempt)s?|end(ing)? (my|it) (life|all)|take my (own )?life|"
               r"(don'?t|do not) want to (live|be alive|exist|wake up)|better off (dead|without me)|"
               r"want(ed)? to die|wish i (was|were) dead|(no|any) reason to (live|keep going|go on|carry on|stay alive)|overdose|(not|isn'?t) worth living|"
               r"point (of|in) (living|life|going on)|goodbye (letter|note)s?|(saving|collecting|stockpiling) (up )?(my |the )?pills|"
               # crisis round 50: "I have been keeping back my zopiclone and my oxycodone since May. There is a tin"
               r"((keeping|kept|holding|held) back|saving up|saved up|hoarding|hoarded|stockpil\w*) "
               r"(all |some of )?(of )?(my|the|her|his|mum'?s|mom'?s)? ?(\w+ )?(and (my |the )?\w+ )?(pills|tablets|meds|"
               r"medication|medicine|painkillers|prescriptions?|zopiclone|oxycodone|oxy\w*|diazepam|codeine|morphine|"
               r"insulin|paracetamol|sleeping tablets|sleepers)\b|"
               r"took (a bunch of|all (my|the)|too many) pills|jump(ing)? (off|from) (a|the) (bridge|roof|building)|"
               r"never wake up|wish i (had )?never (been born|existed)|not (going to|gonna) be (here|around) (much )?(longer|anymore)|"
               # warning signs: means, goodbyes, a decision, no future (common crisis-line screening cues)
               r"how many (sleeping )?pills|(rope|noose) (is )?(ready|tied)|(bought|got|have) (a|the) (rope|noose)|"
               r"(giving|gave) (away )?(all )?my (things|stuff|belongings) away|(giving|gave) my\b.{0,40}\baway\b|"
               r"(everything|things|affairs) (sorted|in order|arranged) before i (go|leave|die)\b|won'?t need (them|it|my \w+) anymore|"
               r"(end|stop) (it|the pain|everything) (for good|forever|permanently|tonight)|"
               r"(no|any|the only) way out (except|but|other than|is) (ending it|dying|death|to die|killing myself)|"
               r"(pain|it|everything) to (end|stop) (for good|forever|permanently)|"
               r"make it (all )?stop (for good|forever|permanently)|done with (life|living|being alive)|"
               r"(disappear|be gone) (forever|for good)|(no|what'?s the|what is the) point (of|in) (going on|carrying on|"
               r"being alive|being here)|(can'?t|cannot|don'?t) see myself (being )?(alive|here|around)|"
               r"(drive|driving|crash|crashing) (my car )?into (a|the) (wall|tree|truck)|"
               r"(standing|sitting|on) (on )?(the|a) (edge|ledge|roof|bridge|tracks)\b.{0,40}\b(jump|right now|now|end)|"
               r"(won'?t|will not|wont|not going to|not gonna) be (here|around|alive)\b|"
               r"(last|final) (time|message)\b.{0,30}\b(i'?ll|i will|ill) (message|write|talk|text)|"
               r"let(ting)? it (all )?be over|(it|this|everything) (will|'ll) (all )?be over (soon|tonight|tomorrow)|"
               r"(i'?m|i am|im) (ending|going to end|gonna end) it\b|decided (i'?m|to) (end|ending|kill|die)|"
               r"(letters?|notes?)\b.{0,120}\b(find (them|it) after|after i'?m gone|when i'?m gone)|"
               r"(single|one) reason to (live|keep going|go on|stay)|"
               r"(freer|happier|better off|easier|lighter) (if i'?m gone|without me)|(i'?m|i am|im|i feel like|feel like|"
               r"i'?ve become|i have become|just) (such |nothing but |only )?a (burden|weight) (around|on|to) "
               r"(everyone|everybody|my family|them all|the people)|(saving|saving up|stockpiling|collecting|hoarding|storing) (up )?(my |the )?"
               r"(\w+ )?(pills|tablets|meds|medication|sleeping pills)|(pills|tablets) (are )?(lined up|ready|counted out)|"
               r"(gave|give|giving) (away )?(my|the) (cat|dog|pet|kids?)\b.{0,60}\b(done|goodbye|gone|end)|"
               r"(to|into|off|from) (the|a) (bridge|cliff|river|lake|tracks|overpass)\b.{0,80}\b(decided|calm|end it|"
               r"jump|done|goodbye)|(drive|driving|drove|steer|steering) (the car )?(into|off) (the|a) (river|lake|cliff|"
               r"bridge|sea|wall|tree)|(engine|car) (is )?running\b.{0,40}\b(garage|closed)|(closed|shut) garage\b.{0,40}"
               r"\bengine|life insurance\b.{0,80}\b(better off|without me|when i'?m gone|cover|pay (off|out|for)|payout|worth more)|"
               r"(gun|pistol|rifle)\b.{0,30}\b(in front of me|on the table|in my (hand|mouth)|loaded|to my head)|"
               # "got my dads old revolver out of the closet. just lookin at it. its loaded"; "one good reason why not"
               r"(guns?|pistol|rifle|revolver|handgun|shotgun)\b.{0,60}\b(just (look|lookin|looking|staring) at it|"
               r"(it'?s|its) loaded|sit here with it)|"
               r"(i'?d|i would|id) (much )?rather (be dead|die)|rather (be dead|die) than)",
    "self_harm": r"\b(cut(ting)? my ?self|hurt(ing)? my ?self|harm(ing)? my ?self|self[- ]harm\w*|burn(ing)? my ?self|"
                 r"starv(e|ing) my ?self|hit(ting)? my ?self|until (it|they|i|my \w+) bleeds?|deserve (the )?pain|"
                 r"(used|using|took|grabbed) (a|the|my) (razor|blade)|relapsed? (and|into) (cut|hurt|self)|"
                 r"hurting my (body|arms?|legs?|skin)|(scratch|scratched|scratching) .{0,20}(raw|bleed|bled)|"
                 r"cuts? (under|on) my (arms?|wrists?|legs?|thighs?)|hide (my |the )?(scars|cuts|marks)|"
                 r"(scars|cuts) on my (arms?|wrists?|legs?|thighs?)|burn(ing|ed|t)? my (arm|forearm|skin|wrist|leg|hand)s?|"
                 r"wrists? (are|is) (a mess|cut|bleeding)|bang(ing|ed)? my head (against|on|into)|"
                 r"(razor|blade)s?\b.{0,40}\b(arms?|thighs?|wrists?|skin|legs?|marks|bleed|feel (empty|nothing)|used it)|"
                 r"(scratch|scratching|scratched|carv\w+) (my|into my) (arms?|thighs?|wrists?|skin|legs?) with|"
                 r"relapsed?\b.{0,25}\b(razor|blade|cutting|knife)|"
                 # "but yeah i cut. thats why the hoodies", "went deeper than usual", "used a lighter on my arm"
                 r"(yeah,? |and |still |i )i cut(?=\s*([.,!;]|$|\s+(again|deeper|tonight|last night|myself)\b))|"
                 r"\bi cut (again|deeper)\b|went (a lot |much )?deeper (than usual|than before|this time)|"
                 r"(lighter|lighters|cigarettes?) on my (arms?|skin|wrists?|legs?|thighs?|hands?))",
    "abuse": r"\b((hits?|beats?|chokes?|rapes?|rap(ed|ing)|abus\w+|molest\w*|touch(es|ed)|hurts|forces) me|(am|was|being|got) "
             r"(abused|raped|molested|beaten)|threat(ens?|ened) to (kill|hurt) me|"
             r"(said|says|swore) (he|she|they)'?(d| would| will|'ll) (kill|hurt|shoot|stab|put a bullet in) (me|us)|"
             r"(threat(ens?|ened)|going) to (shoot|stab|put a bullet in) (me|us)|"
             r"comes? into my (room|bed) at night|locks? me (in|up|out)|(takes?|took) my (phone|keys|money) (away )?"
             r"(so|and) (i can'?t|i cannot|won'?t let)|won'?t let me (leave|see|go out|talk to)|(grabbed|choked|strangled|grabs|chokes) me( by the (throat|neck))?|"
             r"(kicked|punched|slapped|shoved|kicks|punches|slaps) me\b|(make|making) me pay|"
             r"(will|it'?ll|itll|gonna) be (my face|me) next|not allowed to (see|talk to|leave)|"
             r"tracks? my (location|phone)|knows where i live|"
             # a threat of violence over a debt: "theyll break my legs by friday"
             r"(break|breaking|broke|smash) (my|both my) (legs|arms|knees|fingers|hands|face)|"
             # "he threw a bottle at me earlier", "when he gets mad he uses his belt", "i said stop and he didnt"
             r"(threw|throws|thrown|hurled) (a |the |his |her |my )?(bottle|glass|plate|phone|chair|cup|mug|shoe|remote|"
             r"knife|lamp|bowl|vase|keys|things|stuff|punches)( \w+)? at me|(he|she|they) (uses|used) (his|her|their|a|the) "
             r"belt|(said|told (him|her|them)) (no|stop)\b.{0,25}\b(he|she|they) (didn'?t|did not|kept going|"
             r"wouldn'?t stop|did it anyway)|"
             # coercive control: the phone, the money, permission to go out
             r"(husband|wife|boyfriend|girlfriend|partner|bf|gf|fianc\w*) (checks|reads|goes through|takes) my phone|"
             r"(took|takes) my (bank ?card|wages|salary|paycheck)\b|controls (all )?(of )?(my|the|our) money|"
             r"keeps all (of )?my (money|wages|salary)|"
             r"(no|don'?t have( any)?) access to (any|my|our|a) (bank|money|account)|(have to|must|need to) ask (him|her) "
             r"(before|if|for permission|to let me) (i )?(leave|go out|can go|see)|(have to|must) send (him|her) "
             r"(photos|pictures|pics|my location)|"
             # a threat quoted: 'my husband said "i will kill you if you leave"'
             r"(said|says|texted|told me|screamed|yelled)\W{0,4}(i'?ll|i will|i'?m gonna|im gonna|i'?m going to) "
             r"(kill|hurt|shoot|stab|strangle) you|"
             # stalking: following, turning up, new accounts after a block, pictures of the home
             r"(is|keeps?|kept|been) (following|stalking) me|(keeps?|kept) (showing|turning) up (at|outside)|"
             r"shows up (at|outside) my (work|gym|house|home|flat|apartment|school|job)|"
             r"(new|another|different) accounts?\b.{0,30}\b(every time|whenever|after|each time) i block|"
             r"(sent|texted|messaged|left|posted) (me )?(a |an )?(photo|picture|pic) of my (house|front door|door|car|flat|apartment|window)|"
             # image-based abuse: intimate pictures posted or threatened, often for money (sextortion)
             r"(post|share|leak|send|show|publish)(ing|ed|s)? (my |the |those |these |our |intimate |private |naked |"
             r"nude )*(pictures|pics|photos|nudes|videos?|images)\b.{0,60}\b(unless|if i (don'?t|do not|won'?t)|"
             r"pay|money|bitcoin|gift cards?)|(unless|if) i (don'?t |do not |won'?t )?(pay|send)\b.{0,60}\b(post|share|leak|"
             r"send)(ing|s)? (my |the |those |these |our )*(pictures|pics|photos|nudes|videos?|images)|"
             r"(post|share|leak|publish)(ing|s)? (them|it) (online |everywhere |to \w+ )?.{0,30}\b(unless|if i "
             r"(don'?t|do not|won'?t))\b)",
    "harm_to_others": r"\b((kill|hurt|stab|shoot|murder) (him|her|them|someone|somebody|everyone|my \w+|the \w+ (who|at|in)\b)|"
                      r"(bring|take) a (gun|knife|weapon) to|shoot up|make (them|everyone|people|him|her|the \w+( (at|in|from) \w+)?)( \w+)? pay.{0,30}plan|"
                      r"(hurting|hurt|harm|harming|shake|shaking) (my|the) (baby|child|kid|son|daughter)\b|"
                      r"(bring|bringing) (in )?(my |a |his |her )?(\w+'?s )?(knife|gun|weapon)|"
                      # "take my gun to work", not "will they take my guns?" (the police taking them away)
                      r"(?<!they )(?<!cops )(?<!police )(?<!they'll )(?<!to )(take|taking) (my |a |his |her )?(\w+'?s )?(knife|gun|weapon)s? (to|in|into|with)\b|"
                      r"poison(ing)? (my |his |her |their |the )?\w+|"
                      r"(shov(e|ing)|push(ing)?) (them|someone|him|her|people)\b.{0,20}\b(onto|off|in front)|"
                      r"make (him|her|them|my \w+) regret|scared (of )?what i (might|could|will) do|"
                      r"shak(e|ing) (him|her|the baby|my baby|my son|my daughter) until|"
                      r"list of (the )?people\b.{0,80}\b(deal with|pay|regret|wronged)|"
                      r"know (exactly )?(what time|where) (he|she|they) "
                      r"(leaves|lives|parks|goes)|(smash|smashing|bash|bashing|cave|caving|kick|kicking) (his|her|their) "
                      r"(head|face|skull) in|(picture|imagine|fantasi[sz]e)\w* (hurting|killing|smashing|beating|stabbing) "
                      r"(him|her|them))",
}
_IDIOMS = re.compile(
    r"\b(killing it|killing me\b(?! ?self)|(could|would|gonna|going to) die of|"
    r"(want(ed)? to|wanna|about to|nearly|almost) die of (embarrassment|shame|boredom|cringe|laughter|laughing|envy|"
    r"jealousy|excitement|happiness|heat|hunger|thirst)|dying to|died laughing|"
    r"dead tired|kill for a|kill (this|the|that) (exam|test|game|interview|presentation|workout)|kill (a|the) process|"
    # round 40: "i dont want to hurt her feelings" heard the harm-to-others script
    r"(hurt|hurting|hurts) (his|her|their|your|my|our|someone'?s|anyone'?s|people'?s|\w+'s) feelings|"
    r"(hurt|hurting) (him|her|them|someone|somebody) (emotionally|by (saying|telling|leaving|not|going|moving)))", re.I)
# talking about a topic (an essay on suicide prevention) is not being at risk, unless the words are first-person risk
_TOPIC = re.compile(r"\b((essay|article|paper|documentary|class|course|movie|film|book|novel|podcast|research|"
                    r"presentation|project|exam|quiz|lecture|homework|assignment|module)( \w+)? (about|on|covers|covering)|"
                    r"(nursing|medical|pharmacy|psychology) student|"
                    r"(suicide|self[- ]harm|abuse|mental health) (awareness|prevention|rates?|statistics|charity|"
                    r"training|course|campaign|fundraiser)|mental health first aid)\b", re.I)


LEXICAL = {category: re.compile(pattern, re.I) for category, pattern in _PATTERNS.items()}

# sentences and comma-joined parts, not perception.text.clauses(): splitting at "and/because/when" too caught more
# risk but raised false alarms (holdout5 help false alarms 0.15 → 0.25, MELD check-ins 2.1 % → 2.7 %)
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\s*[;\n]\s*|,\s+(?:and |but |also |anyway )?")
MAX_SENTENCES = 12  # bounded work on a huge message


_FIRST_PERSON = re.compile(r"\b(i|i'm|i've|me|my|myself)\b", re.I)

# passive wishes and hopelessness about oneself: too unsure to take over the turn, too close to let pass; a direct,
# gentle question is what crisis lines advise (asking about suicide does not raise risk)
_PASSIVE = re.compile(
    r"\b((nobody|no one|noone|no-one) (would|will|'d)( even| really)? (care|notice|miss me|mind)\b.{0,30}\bif i\b|"
    r"(wouldn'?t|would not|won'?t|doesn'?t) (matter|make (a|any) difference)\b.{0,20}\bif i (was|were|wasn'?t|"
    r"weren'?t|disappeared|died|was gone|vanished)|(tired|sick) of (being alive|existing|being here|living)|"
    r"(what'?s|what is) the point (of|in) (anything|trying|any of (it|this)|it all|me)\b|"
    r"(don'?t|do not|can'?t|cannot) see (the|any) point (of|in|to) (anything|living|life|going on|it all|any of (it|this)|"
    r"trying|being here)\b|\bno point (in|to) (anything|living|life|going on|any of (it|this)|being here)\b|"
    r"i (just |really |kinda |kind of )?(wish|want) (i could|to) (just )?(disappear|vanish|not exist|sleep forever|stop existing)|"
    r"(would|will) (anyone|anybody) (even |really )?(notice|care|miss me)\b.{0,15}\bif i (was|were|wasn'?t|weren'?t) "
    r"(gone|here|around|dead)|(not|stop) exist(ing)? any ?more|"
    r"(feel like|thinking (about|of)|think about|want to) (just )?(ending|end) (things|it|everything)\b|"
    r"my life is (over|ruined|finished)\b|"
    r"(won'?t|will not|wont) need (them|it|this|that|my \w+|any of (it|this|them)) where (i'?m|im|i am) going|"
    # goodbyes: letters "so everything's said", belongings given away (a check-in asks; moving house is not ruled out)
    r"(wrote|written|writing|left) (\w+ )?(letters?|notes?) (to|for)\b.{0,60}\b(everything'?s said|everything is said|"
    r"after i'?m (gone|dead)|when i'?m gone|goodbye)|(giving|gave|given) (away )?(all (of )?)?my\b.{0,50}\baway\b|"
    r"give me (one|1|a|a single) good (reas\w*|reson) (why not|not to)\b|"
    # crisis round 49: "gave my tools to my colleague and car to my cousin, i dont need anymore. everything is organised
    # now"; "doesnt matter after friday anyway"; "said bye to my dog properly"
    r"(gave|giving|given) (away )?my\b.{0,60}\b(don'?t|dont|won'?t|wont) need (it|them|anymore|any more)\b|"
    r"\beverything('?s| is) (organi[sz]ed|sorted|in order|arranged) now\b|"
    r"\b(given|gave|giving) (away )?my \w+ to (the|my|a|an|our) \w+,? and (my )?\w+ to (the|my|a|an|our) \w+|"
    r"\b(the )?last (thing|item|job) (outstanding|on (the|my) list|left to (do|sort|finish))\b(?! (is|was|are)\b)|"
    r"\b(whatever|nothing|none of (it|this)|it all)\W+(it )?(doesn'?t|won'?t|wont|doesnt|will not|will) (even )?matter after (friday|saturday|sunday|monday|tuesday|wednesday|"
    r"thursday|tomorrow|tonight|this week|the weekend|next week)\b|"
    r"\b(said|say|saying) (bye|goodbye) to (my|the) \w+ (properly|for the last time|one last time)\b|"
    r"\b(i )?(won'?t|wont|will not) be (around|here) (much longer|anymore|any more|after)\b)", re.I)


def explicit_risk(text: str) -> tuple[str, str] | None:
    """(category, the matched words) for an explicit warning sign said of oneself, else None."""
    stripped = _IDIOMS.sub(" ", text)
    topic = is_topic(text)
    for category, pattern in LEXICAL.items():
        match = pattern.search(stripped)
        # "an essay about suicide prevention" names the topic; "kill myself" in the same essay line still counts
        if match and not (topic and not _FIRST_PERSON.search(match.group(0))):
            return category, match.group(0)
    return None


# only after risk has come up in the conversation: acts and means named by a pronoun ("I already took them")
_FOLLOW_UP = re.compile(
    r"\b((already |just )?(took|taken|swallowed|drank|done|did) (them|it|all of (them|it)|the lot)|"
    r"(have|got|'ve got|bought) (them|it|one) (here|ready|with me|in my (bag|pocket|hand|car))|"
    r"(it'?s|they'?re) (here|ready|with me|in my (bag|pocket|hand|car))|"
    # the method, once risk is on the table: "the car is the only way i'd do it", "that's how i would do it"
    r"(only )?(way|how) i'?d do it|(way|how) i (would|will|'ll|am going to|'m going to|plan to) do it|"
    r"i'?d do it (with|by)|"
    # after pills were taken: "ok im just gonna lie down", "will i be ok if i sleep it off?"
    r"sleep it off|(just )?(gonna|going to) (lie|lay) down)\b", re.I)
# the first words of an answer to "are you having thoughts of ending your life …?"
_YES = re.compile(r"^\W*(yes|yeah|yea|yep|yup|ya|sometimes|i am|i do|i have|i guess|maybe|kind of|kinda|sort of|"
                  r"a (bit|little)|honestly,? yes|probably|often|every day|most days|all the time)\b", re.I)
_NO = re.compile(r"\b(no|not|never|nope|nah)\b", re.I)


def follow_up_risk(text: str) -> tuple[str, str] | None:
    """(category, words) for a follow-up that names an act or means by a pronoun; read only after a flagged turn."""
    match = _FOLLOW_UP.search(text)
    return ("suicide", match.group(0)) if match else None


def answers_yes(text: str) -> bool:
    """An answer to the check-in question that says yes, even partly ("sometimes", "I guess"), and no "no"."""
    return bool(_YES.search(text)) and not _NO.search(text.split(".")[0])


def passive_risk(text: str) -> str | None:
    """The words of a passive wish to be gone or hopelessness about oneself (a check-in, not a takeover), else None."""
    match = None if is_topic(text) else _PASSIVE.search(_IDIOMS.sub(" ", text))
    return match.group(0) if match else None


def is_topic(text: str) -> bool:
    """Talks about the subject from outside (coursework, news, a charity run), not about oneself."""
    return bool(_TOPIC.search(text))


def sentences(text: str) -> list[str]:
    """The whole message and each of its sentences of 3+ words (bounded): a risk said in passing inside a long
    message about something else is diluted in the whole message's embedding."""
    parts = [p for p in _SENTENCES.split(text) if len(p.split()) >= 3][:MAX_SENTENCES]
    return list(dict.fromkeys([text] + parts))
