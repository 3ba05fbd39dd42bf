"""What the words around a red flag say about it, in a patient's message.

The ConText idea (Harkema et al. 2009; `frontdesk.medical._context` applies it to clinical
notes) adapted to what people write to a clinic: a red-flag mention is split into its clause,
and cue phrases in that clause say whether it is

    negated         "no chest pain", "he isn't confused", "without any bleeding"
    past            "a stroke two years ago", "as a kid", "back in 2019", "history of"
    hypothetical    "what should I do if", "in case", "signs of", "how do I know if"
    administrative  "the bill for", "records from", "insurance claim", "form for work"
    others_history  "my father died of", "runs in the family", "family history of"
    resolved        "went away", "gone now", "back to normal" (guidance keeps some of these
                    emergencies: passed stroke signs, better after adrenaline)
    chronic         "on and off for a few weeks", "for months now" (unless it turned sudden,
                    severe or worse)

and one modifier of the whole message:

    settled         the emergency was already assessed ("we went to A&E", "poison control
                    said", "the fire brigade tested") or explained ("turned out to be the
                    battery"), the person is well now ("she's back to herself", "no symptoms"),
                    and nothing has come back or got worse since

Figures of speech ("this bill is killing me", "I nearly died laughing", "gave me a heart attack
when I saw the price") are masked before any rule reads the text.

A clause ends at a sentence end, a line break, a semicolon, or a turn in the message ("but",
"however", "also", "by the way", "anyway"): "no fever yesterday but tonight she's burning up"
negates nothing about tonight.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Modifier = str
"""One of MODIFIERS."""
MODIFIERS = (
    "negated", "past", "hypothetical", "administrative", "others_history", "resolved", "chronic",
    "settled",
)  # fmt: skip


def _phrases(*items: str) -> re.Pattern[str]:
    body = "|".join(sorted(items, key=len, reverse=True))
    return re.compile(rf"(?<![\w'])(?:{body})(?![\w'])", re.IGNORECASE)


_BOUNDARY = re.compile(
    r"[.!?]+(?=\s|$)|[\n;]+|\s(?:but|however|although|though|except|also|anyway|anyways|"
    r"meanwhile|plus|btw|by\s+the\s+way|oh\s+and|ps|p\.s\.|and\s+now|now)\b(?=[\s,])"
    r"|,\s*(?:and|so)\s",
    re.IGNORECASE,
)

_KILLING_ME = re.compile(
    r"\b(\w+)(?:'s|'re|\s+(?:is|are|was|were))\s+(?:literally\s+|actually\s+)?killing\s+"
    r"(?:me|us|my\s+\w+)\b",
    re.IGNORECASE,
)
_BODY = frozenset(
    "chest head back stomach tummy belly heart arm arms leg legs side neck throat teeth tooth "
    "ear ears eye eyes knee knees foot feet hip hips pain migraine headache cramps cramp "
    "abdomen gut jaw shoulder shoulders ribs balls testicle bladder kidney kidneys it".split()
)
"""Subjects for which "... is killing me" is pain, not a figure of speech."""
_IDIOMS = _phrases(
    r"kill\s+me\s+now",
    r"laugh\w*\s+so\s+(?:hard|much)[^.!?\n]{0,50}",
    r"could\s+(?:kill|strangle|murder)\s+(?:him|her|them|my\s+\w+)",
    r"dying\s+(?:to|for)\s+\w+",
    r"(?:almost|nearly|practically|literally)\s+died\s+"
    r"(?:laughing|of\s+(?:embarrassment|shame|boredom|laughter))",
    r"died\s+laughing",
    r"dying\s+of\s+(?:boredom|embarrassment|laughter|shame)",
    r"(?:gave|give|giving)\s+(?:me|my\s+\w+|him|her)\s+(?:a\s+)?(?:heart\s+attack|stroke|"
    r"coronary|aneurysm)",
    r"(?:nearly|almost)\s+had\s+(?:a\s+)?(?:heart\s+attack|stroke|coronary)\s+"
    r"(?:when|at|over|seeing|reading)",
    r"(?:heart\s+attack|stroke|aneurysm)\s+(?:when|at|over)\s+(?:i|we)\s+(?:saw|opened|read|got)",
    r"bleeding\s+(?:me|us)\s+dry",
    r"drowning\s+in\s+(?:paperwork|bills|work|debt)",
    r"(?:shoot|hang|kill)\s+myself\s+(?:lol|lmao|haha)",
    r"lol\s+i'?m\s+dead",
    r"(?:so|too)\s+(?:\w+\s+){1,3}(?:that\s+)?(?:i|we)\s+(?:wanted|want|could\s+have|almost|nearly)"
    r"\s+(?:to\s+)?(?:die|shoot\s+myself|kill\s+myself|end\s+it\s+all|scream|cry)",
    r"made\s+me\s+want\s+to\s+(?:die|end\s+it\s+all|kill\s+myself|shoot\s+myself)"
    r"(?=[^.!?\n]{0,20}(?:lol|lmao|haha|😂|🙄))",
    r"i'?m\s+dead\s+(?:lol|lmao|haha|😂)",
    r"over\s+my\s+dead\s+body",
    r"heart\s+(?:sank|stopped|skipped\s+a\s+beat)\s+when",
    r"scared\s+to\s+death",
    r"bored\s+to\s+death",
    r"sick\s+to\s+death\s+of",
    r"worried\s+sick",
    r"(?:choked|choking)\s+up",
    r"blood\s+boil\w*",
    r"(?:my\s+)?head\s+(?:is\s+)?exploding\s+"
    r"(?:with|over|from)\s+(?:paperwork|work|stress)",
    r"pain\s+in\s+the\s+(?:neck|butt|ass)",
)

_NEGATION = _phrases(
    r"no",
    r"not",
    r"never",
    r"none",
    r"nor",
    r"without",
    r"denies",
    r"denied",
    r"deny",
    r"isn'?t",
    r"wasn'?t",
    r"aren'?t",
    r"weren'?t",
    r"doesn'?t",
    r"didn'?t",
    r"don'?t",
    r"hasn'?t",
    r"haven'?t",
    r"hadn'?t",
    r"won'?t\s+be",
    r"free\s+of",
    r"no\s+sign\s+of",
    r"no\s+signs\s+of",
    r"ruled\s+out",
    r"negative\s+for",
    r"zero",
    r"nothing\s+like",
)
_NEGATION_AFTER = _phrases(
    r"(?:has|have|is|are|was)\s+gone",
    r"ruled\s+out",
    r"negative",
    r"(?:has|have)n'?t\s+(?:come\s+back|returned|happened\s+again)",
    r"(?:is|are)\s+no\s+longer",
    r"never\s+came\s+back",
)
_PSEUDO_NEGATION = _phrases(
    r"not\s+(?:sure|only|just|getting\s+better|improving|stopping|going\s+away|responding|"
    r"waking|breathing|moving|making\s+sense|able|himself|herself|right|normal|acting)",
    r"can'?t\s+stop",
    r"won'?t\s+stop",
    r"doesn'?t\s+stop",
    r"didn'?t\s+stop",
    r"no\s+(?:better|improvement|response|pulse|idea|one\s+(?:is|was)\s+home)",
    r"don'?t\s+know",
    r"didn'?t\s+know",
    r"not\s+sure",
    r"no\s+matter",
    r"(?:is|isn'?t|wasn'?t|won'?t|doesn'?t|didn'?t)\s+(?:wake|waking|respond\w*|breath\w*|"
    r"mov\w*|mak\w*\s+sense|mak\w*\s+any\s+sense|mak\w*)",
    r"can'?t\s+\w+",
    r"cannot\s+\w+",
    r"couldn'?t\s+\w+",
    r"unable\s+to",
    r"don'?t\s+want\s+to\s+(?:live|be\s+(?:here|alive|around)|wake\s+up|go\s+on)",
    r"doesn'?t\s+want\s+to\s+(?:live|be\s+(?:here|alive|around)|wake\s+up|go\s+on)",
    r"don'?t\s+want\s+to\s+bother",
    # crisis phrases written with a negation: the negation is the crisis
    r"(?:won'?t|will\s+not|not\s+going\s+to)\s+be\s+(?:a\s+)?burden",
    r"(?:won'?t|will\s+not)\s+be\s+(?:around|here)",
    r"(?:and\s+)?(?:not|never)\s+wake\s+up",
    r"no\s+reason\s+to\s+(?:live|go\s+on)",
    r"(?:won'?t|will\s+not|never)\s+(?:see|talk\s+to|bother)\s+(?:you|anyone)\s+again",
    r"not\s+(?:anyone|anybody)'?s\s+fault",
    r"didn'?t\s+want\s+to\s+bother",
    r"not\s+a\s+(?:big\s+)?deal",
    r"no\s+way",
    r"not\s+(?:feeling|looking|acting|seem\w*)",
    # findings phrased with a negation: the rash that does not fade, the baby that has not moved
    r"(?:doesn'?t|didn'?t|does\s+not|did\s+not|won'?t|isn'?t|not)\s+(?:fade|fading|blanch\w*|"
    r"go\s+away|going\s+away|disappear\w*)",
    r"(?:hasn'?t|haven'?t|has\s+not|have\s+not|hadn'?t)\s+(?:moved|kicked|peed|wee'?d|weed|"
    r"had\s+a\s+wet|had\s+any\s+wet|woken|been\s+(?:moving|kicking|able)|felt\s+(?:the\s+)?"
    r"(?:baby|him|her|it)|stopped|eaten|drunk|urinated)",
    r"no\s+(?:wet|movements?|kicks?|pee|urine|wees?|feeling\s+in|sensation|"
    r"strength\s+in|control\s+(?:of|over))",
    r"not\s+(?:moving|kicking|feeding|eating|drinking|peeing|weeing|urinating|talking|"
    r"speaking|answering|recogni[sz]\w*|feel\w*\s+(?:the\s+)?baby)",
    r"(?:don'?t|doesn'?t|didn'?t|can'?t)\s+(?:feel|recogni[sz]e|know\s+(?:where|who|what\s+day))",
    # a treatment that fails is a finding
    r"(?:isn'?t|wasn'?t|aren'?t|weren'?t|not|didn'?t|doesn'?t|don'?t|hasn'?t|haven'?t|is\s+not|"
    r"does\s+not|did\s+not)\s+(?:\w+\s+)?(?:help\w*|work\w*|do\w*\s+(?:anything|much)|touch\w*|"
    r"improv\w*|settl\w*|eas\w*|reliev\w*|mak\w*\s+(?:a|any)\s+difference)",
    r"no\s+(?:relief|change|difference|effect)",
)

_PAST = _phrases(
    r"(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|twelve|several|many|a\s+few|"
    r"few|couple\s+of|a\s+couple\s+of)\s+(?:years?|yrs?|months?|decades?)\s+ago",
    r"(?:years?|months?|decades?)\s+ago",
    r"(?:last|past)\s+(?:year|month|spring|summer|fall|"
    r"autumn|winter|christmas|thanksgiving)",
    r"(?:\d+|three|four|five|six|several|a\s+few)\s+"
    r"weeks\s+ago",
    r"in\s+(?:19|20)\d\d",
    r"back\s+in",
    r"back\s+when",
    r"as\s+an?\s+(?:(?:little|small|young|wee)\s+)?(?:kid|child|baby|infant|teen\w*|toddler|boy|"
    r"girl|adolescent|student)",
    r"(?:at|about|around)\s+(?:the\s+)?age\s+(?:of\s+)?(?:\d+|one|two|three|four|five|six|"
    r"seven|eight|nine|ten)",
    r"(?:in|during)\s+(?:my|his|her|their)\s+(?:childhood|teens|twenties|thirties|youth)",
    r"growing\s+up",
    r"when\s+(?:i|he|she|they)\s+(?:was|were)\s+(?:little|young|a\s+kid|a\s+child|a\s+baby|"
    r"a\s+teen\w*|in\s+\w+\s+school|\d+)",
    r"history\s+of",
    r"h/o",
    r"hx\s+of",
    r"used\s+to",
    r"in\s+the\s+past",
    r"years\s+back",
    r"long\s+time\s+ago",
    r"way\s+back",
    r"previous(?:ly)?",
    r"prior",
    r"old\s+(?:injury|scar|records?)",
    r"since\s+(?:19|20)\d\d",
    r"in\s+remission",
    r"recovered\s+(?:from|fully)",
    r"fully\s+recovered",
    r"survivor",
    r"(?:in|last|since|back\s+in)\s+(?:january|february|march|april|may|june|july|august|"
    r"september|october|november|december)",
    r"(?:two|2|a\s+couple\s+of)\s+weeks\s+ago",
    r"(?:in|over|during)\s+the\s+(?:summer|spring|fall|autumn|winter|holidays)",
    r"already\s+(?:sorted|treated|checked|seen|dealt\s+with|fixed|looked\s+at)",
    # "last week's chest pain", "on Saturday" (not "since last week", "started on Monday")
    r"(?<!since\s)(?<!started\s)(?<!began\s)(?<!from\s)last\s+week(?:'s)?",
    r"(?<!since\s)(?<!started\s)(?<!began\s)(?<!from\s)on\s+(?:monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday)",
)

_HYPOTHETICAL = _phrases(
    r"if",
    r"in\s+case",
    r"what\s+if",
    r"whether",
    r"just\s+in\s+case",
    r"should\s+(?:i|we)\s+ever",
    r"ever\s+(?:has|have|gets?|does)",
    r"signs?\s+of",
    r"symptoms?\s+of",
    r"warning\s+signs?",
    r"red\s+flags?",
    r"how\s+(?:do|can|would|will)\s+(?:i|we|you|one)\s+(?:know|tell|recogni[sz]e)",
    r"how\s+to\s+(?:tell|know|recogni[sz]e|spot|treat|handle|prevent)",
    r"what\s+(?:to|should\s+(?:i|we|you))\s+do\s+(?:if|when|in)",
    r"when\s+to\s+(?:call|go|worry)",
    r"when\s+should\s+(?:i|we)\s+(?:call|go|worry)",
    r"risk\s+of",
    r"chances?\s+of",
    r"could\s+(?:i|she|he|they|it)\s+ever",
    r"would\s+it\s+be",
    r"prevent(?:ing|ion)?",
    r"first[- ]aid\s+(?:kit|class|course|training)",
    r"cpr\s+(?:class|course|training|certification)",
    r"(?:training|course|class)\s+on",
    r"article",
    r"movie",
    r"episode",
    r"podcast",
    r"novel",
    r"essay",
    r"documentary",
    r"tv\s+show",
    r"school\s+(?:report|project)",
    r"suppose",
    r"supposing",
    r"imagine",
    r"film",
    r"(?:^|\W)say\s+(?:i'?m|im|i|we|my|he|she|he'?s|she'?s|you|you'?re|someone|somebody|a|an)",
    r"at\s+what\s+(?:point|temp\w*|age|number|level|reading|stage)",
    r"how\s+(?:high|low|long)\s+(?:a|does|do|should|can|is\s+too|before)",
    r"next\s+(?:week|month|year|time)",
    r"signs?\s+(?:that|someone|somebody|a\s+person)",
    r"general\s+question",
    r"lol",
    r"lmao",
    r"haha\w*",
    r"jk",
    r"just\s+kidding",
    r"(?:in|on)\s+the\s+show",
    r"just\s+wondering",
    r"first[\s-]aid",
    r"(?:meaning|definition)\s+of",
    r"what\s+(?:does|do)\s+\w+\s+mean",
    r"read\s+it\s+in",
    r"in\s+(?:my|the|a|his|her)\s+(?:book|story|novel|script|screenplay|game|fic)",
    r"(?:a|the|her|his|my|their|our)\s+(?:story|book|novel|poem|script|essay|comic|play|game|"
    r"video\s+game|show|film|movie|series)\s+"
    r"(?:where|in\s+which|about|that|for)",
    r"season\s+(?:finale|premiere)",
    r"(?:show|film|movie|series|episode|tv)\s+(?:had|has|showed|shows)",
    r"homework",
    r"assignment",
    r"case\s+stud(?:y|ies)",
    r"(?:exam|test|quiz)\s+question",
    r"(?:look|looking|watch|watching)\s+(?:out\s+)?for",
    r"(?:the\s+)?news\s+said",
    r"tiktok",
    r"youtube",
    r"instagram",
    r"reddit",
    r"let'?s\s+say",
    r"hypothetically",
    r"on\s+the\s+news",
    r"news\s+(?:story|report|article)",
    r"saw\s+(?:a|an|this|that)\s+(?:story|video|post|reel|tiktok|clip)",
    r"read\s+(?:about|that)",
    r"pretend\w*",
    r"role[\s-]?play\w*",
    r"scene",
    r"script",
    r"(?:a|the|our|my)\s+play",
    r"how\s+to\s+use",
    r"trainer\s+pen",
    r"who'?s\s+allowed",
    r"who\s+can",
    r"(?:a|the|this|our|my)\s+(?:course|class|training|workshop|seminar|talk|handout|lesson|"
    r"module)\s+(?:on|about|for)",
    r"(?:intervention|awareness|prevention)\s+(?:course|training|class|program|week|month)",
)
_QUESTION_START = re.compile(
    r"^\W*(?:(?:please|hi|hello|hey|quick\s+question|general\s+question)\W+)?(?:what|whats|how|"
    r"when|which|why|at\s+what|is\s+it|are\s+there|can\s+(?:a|an|you|someone)|could\s+(?:a|an|you)"
    r"|would\s+(?:a|an)|do\s+you|does\s+(?:a|an)|should\s+(?:you|a|an|people))\b",
    re.IGNORECASE,
)
"""A general question ("what temperature counts as a fever in a newborn?"): the clause asks
about a red flag rather than reporting one."""
_PSEUDO_HYPOTHETICAL = _phrases(
    r"(?:wondering|not\s+sure|unsure|don'?t\s+know|idk|no\s+idea|ask(?:ing)?)\s+(?:if|whether)",
    r"if\s+(?:this|it|that)(?:'s|\s+is|\s+was|\s+could|\s+might|\s+counts)",
    r"as\s+if",
    r"if\s+possible",
    r"if\s+(?:you|someone|anyone|somebody)\s+(?:can|could)",
    r"even\s+if",
    r"if\s+(?:i|we)\s+should",
    r"if\s+(?:i|we)\s+need\s+to",
)

_ADMINISTRATIVE = _phrases(
    r"bill(?:s|ed|ing)?",
    r"invoice",
    r"statement",
    r"charges?",
    r"charged",
    r"co-?pay",
    r"insurance",
    r"claims?",
    r"reimburse\w*",
    r"records?",
    r"paperwork",
    r"forms?",
    r"receipt",
    r"eob",
    r"explanation\s+of\s+benefits",
    r"payment",
    r"pay\s+(?:for|off)",
    r"balance",
    r"refund",
    r"deductible",
    r"copy\s+of",
    r"letter\s+for",
    r"note\s+for\s+"
    r"(?:work|school)",
    r"sick\s+note",
    r"fmla",
    r"disability\s+(?:form|paperwork|claim)",
    r"prior\s+auth\w*",
    r"authori[sz]ation",
    r"referral\s+letter",
    r"discharge\s+summary",
    r"(?:er|e\.r\.|a&e|emergency\s+room|hospital|urgent\s+care|ambulance)\s+(?:visit|trip|stay)",
    r"follow[\s-]?up",
    r"referral",
    r"cancel\w*",
    r"reschedul\w*",
    r"coded",
    r"chart",
    r"problem\s+list",
    r"life\s+insurance",
    r"application",
    r"(?:care|action|emergency|allergy|seizure|treatment|safety|birth|health)\s+plan",
    r"(?:was|were|been)\s+(?:in|at|to)\s+(?:the\s+)?(?:emergency\s+room|er|a&e|hospital|urgent\s+care)",
)
_RELATIVE_HAD = re.compile(
    r"\b(?:my|his|her|our|their)\s+(?:\w+'?s\s+)?(?:best\s+)?(?:mom|mum|mother|dad|father|grandma|"
    r"grandmother|grandpa|grandfather|granddad|aunt|uncle|brother|sister|cousin|parents?|"
    r"grandparents?|friend|coworker|co-worker|colleague|neighbou?r|boss|brother-in-law|"
    r"sister-in-law)s?\b(?:\s+and\s+\w+)?\s+(?:both\s+)?(?:had|got|has\s+had|was\s+diagnosed)",
    re.IGNORECASE,
)
_RECENT = _phrases(
    r"today",
    r"tonight",
    r"this\s+(?:morning|afternoon|evening)",
    r"now",
    r"right\s+now",
    r"just",
    r"yesterday",
    r"last\s+night",
    r"an?\s+hour",
    r"hours?",
    r"minutes?",
    r"mins?",
    r"since",
    r"earlier",
    r"is\s+having",
    r"keeps?",
)
"""Words that place a relative's "had" in the present emergency ("my dad had a stroke this
morning") rather than in their history ("my aunt had a stroke")."""

_OTHERS_HISTORY = _phrases(
    r"(?:died|passed\s+away|passed|lost\s+(?:him|her|them))\s+(?:of|from|after)",
    r"family\s+history",
    r"runs\s+in\s+(?:my|the|our)\s+family",
    r"in\s+(?:my|the)\s+family",
    r"(?:my|his|her|our)\s+(?:late|deceased)\s+\w+",
    r"genetic",
    r"hereditary",
    r"(?:mom|mother|dad|father|grandma|grandmother|grandpa|grandfather|aunt|uncle|brother|"
    r"sister|cousin|parents?|grandparents?|husband|wife|partner|friend|coworker|co-worker|"
    r"colleague|neighbou?r|boss)\s+(?:had|has\s+had|died|passed)\s+(?:a|an|his|her)?"
    r"\s*\w*\s*\w*\s*(?:years?|when|at\s+(?:age\s+)?\d+|before|last\s+\w+|in\s+(?:19|20)\d\d)",
)

_RESOLVED = _phrases(
    r"went\s+away",
    r"gone\s+now",
    r"(?:is|are|has|have)\s+(?:gone|passed|resolved|cleared)",
    r"back\s+to\s+normal",
    r"(?:feels?|feeling|seems?|looks?)\s+(?:fine|ok|okay|better|normal)"
    r"\s+now",
    r"better\s+now",
    r"resolved",
    r"only\s+lasted",
    r"lasted\s+(?:a\s+)?(?:few\s+)?"
    r"(?:seconds|minutes?|mins?)",
    r"stopped\s+after",
    r"passed\s+(?:in|after|within)\s+(?:about\s+|around\s+)?(?:\w+|a\s+few)\s+"
    r"(?:seconds|minutes?|mins?)",
)

_CHRONIC = _phrases(
    r"for\s+(?:the\s+)?(?:past\s+|last\s+)?(?:a\s+few|few|several|many|a\s+couple\s+of|\d+|two|"
    r"three|four|five|six)\s+(?:weeks|months|years)",
    r"for\s+(?:weeks|months|years)",
    r"on\s+and\s+off\s+for",
    r"(?:weeks|months|years)\s+now",
)
_ACUTE = _phrases(
    r"sudden\w*",
    r"(?<!not\s)sever\w*",
    r"worse\w*",
    r"worst",
    r"worsening",
    r"now\s+(?:it'?s|much|really)",
    r"today",
    r"tonight",
    r"right\s+now",
    r"can'?t\s+(?:walk|stand|breathe|move)",
)
"""What makes a long-standing complaint acute again ("for months, but suddenly much worse")."""

_ASSESSED = _phrases(
    r"went\s+(?:straight\s+|right\s+)?(?:in\s+)?(?:to|into)\s+(?:the\s+)?(?:er|e\.r\.|a&e|"
    r"emergency|hospital|urgent\s+care|children'?s\s+hospital)",
    r"(?:took|rushed|drove)\s+(?:him|her|them|me|my\s+\w+)\s+(?:straight\s+)?(?:to|into)\s+"
    r"(?:the\s+)?(?:er|a&e|emergency|hospital|urgent\s+care)",
    r"(?:ambulance|paramedics?|emts?|fire\s+(?:service|brigade|department)|firefighters?)\s+"
    r"(?:came|arrived|checked|tested|assessed|said|found|looked)",
    r"checked\s+by\s+(?:the\s+)?(?:paramedics?|emts?|doctors?|hospital|er|a&e)",
    r"(?:called|rang|phoned|spoke\s+(?:to|with))\s+poison\s+control",
    r"poison\s+control\s+(?:said|told|advised)",
    r"(?:hospital|er|a&e|doctors?|they|nicu|icu)\s+(?:checked|tested|treated|kept|observed|"
    r"admitted|discharged|did\s+(?:all\s+)?(?:the\s+)?tests|ran\s+tests)",
    r"(?:discharged|sent\s+(?:us|her|him|me|them)\s+home|kept\s+(?:her|him|me|them|us)\s+"
    r"overnight|observed\s+(?:me|him|her|them)\s+for)",
    r"(?:scan|x-?ray|ultrasound|ct|mri|ecg|ekg|tests?|bloods?)\s+(?:showed|were|was|came\s+back)"
    r"\s+(?:normal|negative|fine|clear|good)",
    r"spent\s+\w+\s+(?:nights?|days?)\s+in\s+(?:the\s+)?(?:nicu|icu|hospital|picu)",
)
_EXPLAINED = _phrases(
    r"turned\s+out\s+(?:to\s+be|it\s+was|that)",
    r"(?:faulty|false)\s+alarm",
    r"low[\s-]battery",
)
_WELL_NOW = _phrases(
    r"(?:is|was|she'?s|he'?s|i'?m|we'?re|everyone'?s|everybody'?s|all|they'?re|both)\s+"
    r"(?:totally\s+|completely\s+|perfectly\s+)?(?:fine|ok|okay|well|good|normal)\s+now",
    r"(?:everyone|everybody|we|all\s+of\s+us)(?:\s+(?:is|are)|'s|'re)\s+(?:totally\s+)?(?:fine|ok|okay)",
    r"back\s+to\s+(?:normal|herself|himself|myself|themselves|his\s+usual|her\s+usual|usual)",
    r"(?:eating|feeding|drinking|playing)\s+(?:well|normally|fine|normal)",
    r"no\s+(?:symptoms|more\s+symptoms)",
    r"none\s+of\s+us\s+(?:have|has)\s+(?:any\s+)?symptoms",
    r"all\s+good",
    r"thriving",
    r"doing\s+(?:well|great|fine)",
    r"fully\s+recovered",
)
_RECURRED = _phrases(
    r"again",
    r"worse\w*",
    r"worsening",
    r"(?:came|come|comes|coming)\s+back",
    r"returned",
    r"(?:is|are|it'?s)\s+back(?!\s+to)",
    r"but\s+now",
    r"still\s+(?:bleeding|hurts|hurting|having|has|in\s+pain|vomiting|not|can'?t|feels?\s+(?:bad|"
    r"awful|terrible|sick))",
    r"started\s+(?:bleeding|again|vomiting|seizing)",
    r"(?:hasn'?t|has\s+not|not)\s+(?:stopped|improved|getting\s+better)",
    r"new\s+(?:symptoms?|pain|rash)",
)

_PERSONAL = _phrases(
    r"my",
    r"i",
    r"i'?m",
    r"i'?ve",
    r"me",
    r"mine",
    r"his",
    r"her",
    r"he",
    r"she",
    r"he'?s",
    r"she'?s",
    r"our\s+(?:baby|son|daughter|child|kid)",
)

_NEGATION_WINDOW = 6
"""A negation cue negates a mention at most this many words after it (in its clause)."""


@dataclass(kw_only=True, slots=True, frozen=True)
class Clause:
    begin: int
    end: int
    text: str
    question: bool = False
    """It ends with a question mark."""


def mask_idioms(text: str) -> str:
    """`text` with figures of speech blanked out (same length, so offsets still hold). "This
    bill is killing me" is one; "my chest is killing me" is not."""
    text = _KILLING_ME.sub(
        lambda m: m.group() if m.group(1).lower() in _BODY else " " * len(m.group()), text
    )
    return _IDIOMS.sub(lambda m: " " * len(m.group()), text)


def clauses(text: str) -> list[Clause]:
    """The clauses of a message, in order, with their offsets."""
    found: list[Clause] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if match.start() > start:
            found.append(Clause(
                begin=start, end=match.start(), text=text[start : match.start()],
                question="?" in match.group(),
            ))  # fmt: skip
        start = match.end()
    if start < len(text):
        found.append(Clause(begin=start, end=len(text), text=text[start:]))
    return [c for c in found if c.text.strip()]


def clause_at(found: list[Clause], position: int) -> Clause | None:
    for clause in found:
        if clause.begin <= position < clause.end:
            return clause
    return None


def modifiers(clause: Clause, begin: int, end: int) -> set[Modifier]:
    """The modifiers of the mention at [begin, end) of the message, from its clause."""
    before = clause.text[: max(0, begin - clause.begin)]
    after = clause.text[max(0, end - clause.begin) :]
    whole = clause.text
    found: set[Modifier] = set()
    # pseudo-negations ("isn't breathing", "can't stop") may run into the mention itself
    unmasked = _PSEUDO_NEGATION.sub(lambda m: " " * len(m.group()), whole)
    masked_before = unmasked[: max(0, begin - clause.begin)]
    cues = list(_NEGATION.finditer(masked_before))
    if cues:
        words_between = len(re.findall(r"\w+", masked_before[cues[-1].end() :]))
        if words_between <= _NEGATION_WINDOW:
            found.add("negated")
    if _NEGATION_AFTER.search(after[:60]):
        found.add("negated")
    # "my face isn't droopy", "testicle not painful": the cue sits inside the matched words
    if _NEGATION.search(unmasked[max(0, begin - clause.begin) : max(0, end - clause.begin)]):
        found.add("negated")
    if _PAST.search(whole):
        found.add("past")
    plain_before = _PSEUDO_HYPOTHETICAL.sub(lambda m: " " * len(m.group()), before)
    mention = clause.text[max(0, begin - clause.begin) : max(0, end - clause.begin)]
    plain_mention = _PSEUDO_HYPOTHETICAL.sub(lambda m: " " * len(m.group()), mention)
    # a general question asks about a red flag; "is it normal that my balls suddenly hurt?"
    # reports one (a person of the message is in it)
    question = (clause.question or whole.rstrip().endswith("?")) and not _PERSONAL.search(whole)
    if (
        _HYPOTHETICAL.search(plain_before)
        or _HYPOTHETICAL.search(plain_before[-30:] + plain_mention)
        or _HYPOTHETICAL.search(after[:40])
        or (question and _QUESTION_START.match(whole))
    ):
        found.add("hypothetical")
    if _ADMINISTRATIVE.search(whole):
        found.add("administrative")
    if _OTHERS_HISTORY.search(whole) or (_RELATIVE_HAD.search(whole) and not _RECENT.search(whole)):
        found.add("others_history")
    if _RESOLVED.search(whole):
        found.add("resolved")
    if _CHRONIC.search(whole) and not _ACUTE.search(whole):
        found.add("chronic")
    return found


_SERVICE = re.compile(
    r"\b(?:terrible|awful|horrible|worst|bad|poor|disappointing)\s+(?:experience|service|visit|"
    r"customer\s+service)|\b(?:rude|unprofessional|disorgani[sz]ed|dismissive|condescending)\b|"
    r"\b(?:long|endless)\s+(?:lines?|wait(?:ing)?(?:\s+times?)?|queues?)\b|"
    r"\bwait(?:ed|ing)\s+(?:for\s+)?(?:over\s+|more\s+than\s+)?(?:an?\s+|\d+\s+|two\s+|three\s+)?"
    r"(?:hours?|hrs?|minutes?|mins?)\b|\b(?:didn.?t|did\s+not|never)\s+(?:even\s+)?(?:look\s+at\s+me|"
    r"listen|call(?:ed)?\s+(?:me\s+)?back|return\s+my\s+calls?)|\btyp(?:ed|ing)\s+on\s+(?:his|her|"
    r"their|the)\s+(?:computer|laptop|screen)|\bfile\s+a\s+complaint|\bcomplain\w*",
    re.IGNORECASE,
)
"""A complaint about the clinic's service: the wait, the staff, the visit."""
_CLINICAL = re.compile(
    r"\b(?:pain\w*|hurt\w*|ache\w*|bleed\w*|blood|breath\w*|chest|heart|fever|temp\w*|vomit\w*|"
    r"throw\w*\s+up|faint\w*|dizz\w*|confus\w*|seiz\w*|stroke|numb\w*|weak\w*|swell\w*|swollen|"
    r"rash|allerg\w*|pills?|overdos\w*|suicid\w*|kill\w*|die|dying|dead|harm\w*|cut\w*|burn\w*|"
    r"baby|infant|newborn|pregnan\w*|unconscious|unresponsive|collaps\w*|passed\s+out|fell|fall|"
    r"head|injur\w*|poison\w*|swallow\w*|sick|nause\w*|diarr\w*|vision|slurr\w*|droop\w*|"
    r"symptom\w*|worse|hospital|er|a&e|ambulance|911|988|emergency|urgent)\b",
    re.IGNORECASE,
)
"""Any word of the body, a symptom or a medical event."""


def about_the_service(text: str) -> bool:
    """The message complains about the clinic's service and names no symptom, body part or
    medical event ("long lines, disorganized, nobody knew what was going on"): whatever its
    tone, not a medical emergency."""
    return bool(_SERVICE.search(text)) and not _CLINICAL.search(text)


def acute(text: str) -> bool:
    """The message says something turned sudden, severe or worse: a long-standing complaint
    anywhere in it is not `chronic` ("for weeks, but now it is suddenly agony")."""
    return bool(_ACUTE.search(text))


def settled(text: str) -> bool:
    """The message reports an emergency that was already assessed or explained, with the person
    well now and nothing back or worse since (module doc): follow-up, not an emergency now."""
    return bool(
        (_ASSESSED.search(text) or _EXPLAINED.search(text))
        and _WELL_NOW.search(text)
        and not _RECURRED.search(text)
    )
