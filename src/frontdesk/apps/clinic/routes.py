"""Router training data for the Riverside Clinic categories that have no specialist, and the regex
safety nets the router applies before its classifier.

- `EMERGENCY_EXAMPLES`, `LEGAL_EXAMPLES`, `COMPLAINT_EXAMPLES`: example utterances for the
  `emergency`, `legal` and `complaint` categories; `OUT_OF_SCOPE_EXAMPLES` for messages with no
  clinic intent (the router's `oos` class).
- `EMERGENCY_PATTERNS`: case-insensitive regexes (for `RouteRule`) that force the emergency
  category. They favour recall over precision: missing a stroke costs far more than sending a
  records question to the emergency reply. So a message that merely *mentions* an emergency
  sign is flagged too ("I had chest pain last year and need those records", "my dad's heart
  attack bill"); the emergency reply tells the person to call 911 if it is happening now and
  still offers help. They try not to fire on routine clinic wording (chest X-ray, seizure
  medication refill, poison ivy, heartburn, flu shot).
- `PERSON_REQUEST_PATTERNS`: case-insensitive regexes for an explicit request to reach a human
  (any phrasing), which must not fire on scheduling questions such as "is a person available for
  appointments on Friday".

All values are tuples (immutable module constants); `RouteRule(patterns=...)` takes them as is.
"""

from __future__ import annotations

import re

EMERGENCY_EXAMPLES: tuple[str, ...] = (
    "my husband is clutching his chest and sweating like crazy",
    "chest pain spreading to my jaw, started ten minutes ago",
    "I can't breathe properly and my lips look blue",
    "my wife's face is drooping on one side and she can't get her words out",
    "sudden numbness in my left arm and leg and my speech sounds slurred",
    "my dad passed out in the kitchen and won't respond to me",
    "found my roommate unconscious on the bathroom floor",
    "my son swallowed a handful of my blood pressure pills",
    "i think my daughter drank bleach from under the sink",
    "I took way too many pills on purpose",
    "I want to kill myself",
    "i dont want to live anymore",
    "been thinking about suicide all day and i'm scared of what i'll do tonight",
    "I've been cutting myself and it's really deep this time",
    "got stung by a wasp and my throat is closing up",
    "my lips and tongue are swelling after eating shrimp",
    "my girlfriend is having a seizure and won't stop shaking",
    "the baby is having convulsions",
    "bad burn on my arm from boiling oil, the skin is white and peeling",
    "my toddler pulled a pot of boiling water onto himself, he has big burns",
    "he's choking and can't cough or talk",
    "bleeding a lot from a cut on my leg and it won't stop",
    "deep gash on my head, blood everywhere",
    "heavy bleeding after my miscarriage, soaking a pad every hour",
    "I think I'm having a stroke",
    "my grandma is suddenly slurring her speech",
    "chest feels like an elephant is sitting on it",
    "my heart is pounding and i feel like im about to pass out",
    "severe shortness of breath, I can barely say a sentence",
    "my toddler bit into a laundry detergent pod",
    "friend overdosed and is barely breathing",
    "my mom isn't waking up and her breathing sounds weird",
    "allergic reaction, used my epipen but my face is still swelling",
    "anaphylaxis from peanuts, what do i do",
    "fell off a ladder and hit my head, now throwing up and confused",
    "sudden worst headache of my life out of nowhere",
    "chest pressure and short of breath while shoveling snow",
    "someone got stabbed in your parking lot",
    "can't feel the right side of my body",
    "sos my friend collapsed at the gym",
    "help my baby stopped breathing",
    "chest pian and my left arm hurts",
    "i cant breath",
    "my brother texted that he has a plan to end his life",
    "overdose",
    "heart attack i think, please help",
    "my son is having an asthma attack and his inhaler isn't working, he's gasping for air",
    "my father's speech is garbled and his arm went weak a few minutes ago",
)

LEGAL_EXAMPLES: tuple[str, ...] = (
    "I'm going to sue the clinic",
    "how do I file a malpractice claim",
    "my attorney wants a full copy of my chart",
    "we are serving a subpoena for a patient's records, who accepts service",
    "someone looked at my chart with no reason to, I think my privacy was violated",
    "HIPAA complaint about a staff member who shared my information",
    "who is your registered agent for legal papers",
    "the surgeon left something inside me and I'm calling a lawyer",
    "I need certified copies of my records for a court case",
    "law firm requesting medical records for a personal injury claim",
    "would this count as medical negligence?",
    "my health information was given to my employer without my consent",
    "my test results were mailed to the wrong person, that's a privacy breach",
    "I want to report a HIPAA violation to the Office for Civil Rights",
    "an insurance company's lawyer asked for my records, did you send them?",
    "workers comp attorney needs my treatment records",
    "this is a notice of intent to sue",
    "scheduling a deposition with one of your physicians",
    "we have a court order for the release of records",
    "my divorce lawyer needs my therapy notes",
    "who handles litigation for Riverside Clinic",
    "I was misdiagnosed for months and I want to take legal action",
    "the nurse gave my father the wrong medicine and he ended up in hospital, we've got lawyers",
    "my lawyer told me to request everything you have on me, including billing",
    "can I get compensation for the nerve damage from my procedure",
    "attorney representing a patient, I need your risk management contact",
    "someone snooped in my health information without authorization",
    "question about the data breach notification letter I received",
    "how do I report a doctor to the medical board",
    "where do I send a legal demand letter",
    "what's the statute of limitations for malpractice",
    "subpena for records",
    "my ex works at your clinic and looked up my file",
    "HIPPA violation",
    "police detective requesting records for an investigation",
    "I got served a summons, is this about the clinic?",
    "my disability lawyer needs records from 2019 to now",
    "litigation hold notice: please preserve all records for this patient",
    "lawsuit",
    "my child was hurt during a procedure and we want to file a claim",
    "privacy officer contact please",
    "your staff talked about my diagnosis in the hallway where everyone could hear, that's illegal",
    "paralegal following up on the records authorization we faxed last week for our client",
)

COMPLAINT_EXAMPLES: tuple[str, ...] = (
    "the receptionist was rude to me on the phone",
    "I waited two hours past my appointment time",
    "the doctor didn't listen to anything I said",
    "the nurse was really rough giving my son his shot",
    "I want to file a complaint about my visit yesterday",
    "nobody returned my calls for a whole week",
    "the waiting room was dirty and the trash was overflowing",
    "terrible customer service at the front desk",
    "the doctor was dismissive about my pain",
    "staff were gossiping about other patients where I could hear",
    "i was treated disrespectfully because of my age",
    "the medical assistant made a rude comment about my weight",
    "my appointment got cancelled without any notice",
    "your parking attendant was so rude to me",
    "really unhappy with the care my mother received",
    "I felt rushed and ignored during my physical",
    "never coming back, worst experience of my life",
    "the lab tech missed my vein four times and acted annoyed with me",
    "who do I complain to about a provider",
    "hold times on your phone line are ridiculous, 45 minutes every time",
    "the doctor was on her phone during my exam",
    "nobody told me my referral was denied until I showed up",
    "the front desk lady yelled at my elderly father",
    "the exam room had used gloves left on the counter",
    "I was left in the exam room for an hour and nobody checked on me",
    "complaint about dr smith's bedside manner",
    "you keep losing my paperwork, third time now",
    "really disappointed with the service today",
    "my kid's pediatrician was condescending to us",
    "the check-in kiosk was broken and no one came to help",
    "they booked me at the wrong location and nobody apologized",
    "I'd like to file a formal grievance",
    "complaint",
    "bad experience at my appointment",
    "the new doctor didn't even examine my rash, just wrote a prescription and left",
    "staff rolled their eyes when I asked for an interpreter",
    "the pharmacy staff were impatient and made me feel stupid",
    "your online booking sent me to a closed office and I lost a day of work",
    "the nurse practitioner kept interrupting me and wouldn't let me finish",
    "i'm upset about how the staff handled my daughter's visit",
    "waitng room was packed and the staff just ignored everyone for ages",
    "the care I got at the walk-in was sloppy and careless",
)

OUT_OF_SCOPE_EXAMPLES: tuple[str, ...] = (
    "will it rain this weekend",
    "how hot is it going to get today",
    "is it snowing in denver right now",
    "who won the super bowl",
    "what's the score of the yankees game",
    "when does the NBA season start",
    "how do I center a div in css",
    "write a python function that sorts a dictionary by value",
    "what does a segmentation fault mean in C",
    "javascript error: undefined is not a function, how to fix",
    "how do I make lasagna",
    "what can I cook with chicken and rice",
    "how long do you boil an egg",
    "know any good jokes?",
    "make me laugh",
    "say something funny",
    "cheap flights to Mexico in March",
    "what should I see in Paris",
    "do I need a visa to visit Japan",
    "what is 17 times 23",
    "solve 2x + 5 = 13",
    "what's the square root of 144",
    "how are you today",
    "what's your favorite color",
    "do you like music",
    "who is the president of france",
    "write me a poem about the ocean",
    "what movies are playing tonight",
    "recommend a TV show to binge",
    "how do I change a flat tire",
    "best laptop under 1000 dollars",
    "how do I get rid of ants in my kitchen",
    "what time is it in Tokyo",
    "convert 50 euros to dollars",
    "what's bitcoin trading at",
    "help me plan a birthday party for my 6 year old",
    "how tall is mount everest",
    "explain quantum computing simply",
    "what's the meaning of life",
    "can you help with my history homework",
    "write an essay on climate change",
    "how many players are on a soccer team",
    "how do I train my puppy to sit",
    "what's a good name for a goldfish",
    "how do you say thank you in german",
    "best hiking trails near seattle",
    "how to knit a scarf",
    "whats the best pokemon",
    "are you single lol",
    "i'm bored",
    "what's a 15% tip on 64 dollars",
    "how many days until christmas",
    "summarize the plot of hamlet",
    "who invented the telephone",
    "how do I reset my iphone",
    "my netflix password isn't working",
    "book me a table for two at an italian restaurant",
    "what's the cheapest car insurance",
    "gas prices near me",
    "how do you play chess",
    "is a tomato a fruit or a vegetable",
    "sing me a song",
    "do aliens exist",
    "what's the best way to learn spanish",
    "recommend a podcast about history",
    "trying to choose between Lisbon and Barcelona for a summer trip, which has better beaches",
    "can you explain the difference between a list and a tuple in python and when to use each",
)

_PAIN = r"(?:p(?:ai|ia)ns?|pressure|tight\w*|hurts?|hurting|crushing|squeez\w*|heav\w*|aches?)"
_SOMEONE = r"(?:my|his|her|their|the)"

SELF_HARM_PATTERNS: tuple[str, ...] = (
    r"\bsuicid\w*|\bkill(?:ing)?\s+(?:my|him|her|them)sel(?:f|ves)\b|\bkms\b|\bself[- ]?harm\w*",
    r"\bend\s+(?:it\s+all|my\s+life|his\s+life|her\s+life|their\s+life)\b"
    r"|\bending\s+it\s+all\b|\btake\s+my\s+(?:own\s+)?life\b",
    r"\b(?:don'?t|do\s+not)\s+want\s+to\s+(?:live|be\s+alive|wake\s+up)\b|\bwant\s+to\s+die\b",
    r"\bbetter\s+off\s+dead\b|\bno\s+reason\s+to\s+live\b"
    r"|\b(?:cutting|hurting|harming)\s+myself\b",
)
"""The suicide and self-harm subset of `EMERGENCY_PATTERNS` (answered with 988 as well as 911)."""

EMERGENCY_PATTERNS: tuple[str, ...] = (
    # heart
    rf"\bchest\b[^.?!]{{0,25}}\b{_PAIN}\b",
    rf"\b(?:p(?:ai|ia)n|pressure|tightness|crushing)\b[^.?!]{{0,15}}\b(?:in|on|across)\s+"
    rf"{_SOMEONE}\s+chest\b",
    rf"\bclutching\s+{_SOMEONE}\s+chest\b|\bchest\s+feels?\s+(?:like|heavy|tight)\b",
    r"\bheart\s+attack\b|\bcardiac\s+arrest\b|\bno\s+pulse\b|\b(?:doing|need|needs)\s+cpr\b",
    # breathing
    r"\b(?:can'?t|cannot|can\s+not|unable\s+to|hard\s+to|struggling\s+to|trouble|difficulty"
    r"|barely)\s+breath(?:e|ing)?\b",
    r"\b(?:not|stopped|isn'?t|wasn'?t)\s+breathing\b|\bgasping\b",
    r"\b(?:severe(?:ly)?|very|really|extremely|sudden(?:ly)?|so)\s+short(?:ness)?\s+of\s+breath",
    r"\bshort(?:ness)?\s+of\s+breath\b[^.?!]{0,40}\b(?:chest|severe|worse|can'?t|lips|blue"
    r"|barely)",
    r"\b(?:lips|face|skin)\b[^.?!]{0,15}\b(?:blue|gr[ae]y)\b|\bturning\s+blue\b",
    # stroke
    r"\bstroke\b|\bfacial\s+droop|\bface\b[^.?!]{0,30}\bdroop\w*"
    r"|\bdroop\w*\s+(?:face|mouth|smile|on\s+one\s+side)",
    r"\bslurr\w*|\b(?:speech|(?:my|his|her|their)\s+words)\b[^.?!]{0,25}\b(?:garbled|jumbled"
    r"|wrong|weird|strange|not\s+making\s+sense)\b",
    r"\b(?:one|left|right)\s+side\b[^.?!]{0,30}\b(?:weak|numb|paraly[sz]ed|limp|dead"
    r"|can'?t\s+(?:move|feel))",
    r"\b(?:weak|numb|numbness|weakness|paraly[sz]ed|can'?t\s+(?:move|feel))\b[^.?!]{0,40}"
    r"\b(?:one|left|right)\s+side\b",
    r"\b(?:arm|leg)\s+(?:went|is|suddenly|just)\s+(?:weak|numb|limp|dead)\b"
    r"|\bsudden(?:ly)?\s+numb",
    r"\bworst\s+headache\b|\bthunderclap\b",
    # consciousness
    r"\bunconscious\b|\bunresponsive\b|\b(?:passed|passing|pass)\s+out\b|\bfainted\b"
    r"|\bcollapsed\b|\blost\s+consciousness\b",
    r"\b(?:won'?t|wont|isn'?t|not|can'?t|cannot)\s+(?:wake|waking)\b",
    r"\b(?:won'?t|wont|isn'?t|not|doesn'?t)\s+respond\w*\s+to\s+(?:me|us|anything|anyone|touch"
    r"|(?:his|her|their)\s+name)\b",
    r"\b(?:he|she|they|he's|she's|they're)\s+(?:is\s+|are\s+)?(?:not|isn'?t|aren'?t|won'?t)"
    r"\s+respond\w*",
    # bleeding and injury
    r"\bbleed\w*\b[^.?!]{0,30}\b(?:won'?t|wont|will\s+not|doesn'?t|does\s+not|isn'?t|is\s+not"
    r"|not)\s+stop\w*",
    r"\bblood\s+(?:won'?t|wont|will\s+not|keeps?)\s+(?:stop|coming|pouring|gushing|spurting)",
    r"\b(?:won'?t|wont|will\s+not|doesn'?t|does\s+not|can'?t|cannot)\s+stop\s+(?:the\s+)?bleed\w*"
    r"|\bso\s+much\s+blood\b",
    r"\b(?:severe|heavy|heavily|uncontroll\w+|massive|profuse\w*|serious|a\s+lot\s+of)\s+"
    r"bleed\w*|\bbleed\w*\s+(?:heavily|badly|profusely|a\s+lot)\b",
    r"\bblood\s+everywhere\b|\b(?:coughing|vomiting|throwing)\s+up\s+blood\b"
    r"|\bdeep\s+(?:cut|gash|wound)\b",
    r"\bstabbed\b|\bstab\s+wound\b|\bgunshot\b|\bbeen\s+shot\b",
    rf"\b(?:hit|banged|struck)\s+{_SOMEONE}\s+head\b[^.?!]{{0,60}}\b(?:vomit\w*|throw\w*\s+up"
    rf"|confus\w*|pass\w*\s+out|unconscious|bleed\w*|seiz\w*)",
    # overdose and poisoning ("food poisoning" and "poison ivy" excepted)
    r"\boverdos\w*|\bod'?ed\b|\bod'd\b|(?<!food\s)\bpoison(?:ed|ing|ous)?\b"
    r"(?!\s+(?:ivy|oak|sumac))",
    r"\b(?:swallowed|drank|drunk|ingested|ate|eaten|bit\s+into|got\s+into)\b[^.?!]{0,30}"
    r"\b(?:bleach|detergent|pods?|cleaner|antifreeze|chemicals?|batter(?:y|ies)|lye"
    r"|pesticide)\b",
    r"\b(?:swallowed|ingested|ate|took|taken|got\s+into)\s+(?:a\s+(?:handful|bunch|bottle|lot)"
    r"\s+of|the\s+whole|a\s+whole|some\s+of|all\s+of)\s+[^.?!]{0,20}\b(?:pills|tablets"
    r"|capsules|medicine|meds|medication|gummies|vitamins)\b",
    r"\b(?:took|taken|swallowed)\s+(?:way\s+)?too\s+many\b"
    r"|\b(?:a|the)\s+(?:whole|full|entire)\s+bottle\s+of\b",
    # suicide and self-harm
    *SELF_HARM_PATTERNS,
    # severe allergic reaction
    r"\banaphyla\w*|\bepi[- ]?pen\b|\bepinephrine\b",
    r"\b(?:throat|tongue|lips?|mouth|face)\s+(?:is\s+|are\s+|feels?\s+|keeps?\s+|started\s+"
    r"|starting\s+|getting\s+|got\s+|has\s+|have\s+)?(?:still\s+|really\s+|so\s+|all\s+)?"
    r"(?:swell\w*|swollen|closing|tight\w*|puff\w*)",
    rf"\bswell\w*\s+(?:of|in)\s+{_SOMEONE}\s+(?:throat|tongue|lips?|mouth|face)\b",
    # seizure (a seizure *medication* or *disorder* on its own is routine)
    r"\bseizures?\b(?!\s+(?:med\w*|prescriptions?|refills?|disorder|clinic|specialist|doctor"
    r"|neurologist|history|free))",
    r"\bseizing\b|\bconvuls\w*",
    # burns
    r"\b(?:severe|bad|serious|major|deep|large|big|huge|third[- ]degree|3rd[- ]degree"
    r"|second[- ]degree|2nd[- ]degree|chemical|electrical)\s+burns?\b",
    r"\bburn(?:ed|t|s)?\b[^.?!]{0,40}\b(?:blister\w*|charred|skin\s+(?:is\s+)?(?:white|black"
    r"|peeling|coming\s+off))",
    r"\bcaught\s+fire\b|\belectrocuted\b",
    # choking
    r"\bchok(?:e|es|ed|ing)\b(?!\s+up)|\b(?:stuck|lodged)\s+in\s+(?:my|his|her|their|the)\s+"
    r"(?:throat|windpipe|airway)",
    # explicit
    r"\b(?:call(?:ed|ing)?|need|send|get)\s+(?:911|an\s+ambulance)\b|\bsos\b"
    r"|\bemergency\s+help\b",
)

_STAFF = (
    r"(?:person|human|humans|someone|somebody|staff|staffer|representative|rep|agent|operator"
    r"|receptionist|nurse|manager|supervisor|people|member\s+of\s+(?:your\s+|the\s+)?staff"
    r"|staff\s+member|employee|front\s+desk)"
)

PERSON_REQUEST_PATTERNS: tuple[str, ...] = (
    # "talk to a real person", "speak with someone", "can I talk to a nurse"
    rf"\b(?:talk|speak|chat)\w*\s+(?:to|with)\s+(?:a|an|the|some|one\s+of\s+your|your)?\s*"
    rf"(?:real|live|actual|human)?\s*{_STAFF}\b",
    # "connect me with staff", "transfer me to billing", "put me through to the front desk"
    r"\b(?:connect|transfer|put|patch|pass)\s+me\s+(?:through\s+|over\s+|thru\s+)?(?:to|with)\b",
    rf"\b(?:get|give|find)\s+me\s+(?:a|an|the|some)?\s*(?:real|live|actual)?\s*{_STAFF}\b",
    r"\b(?:want|need|would\s+like|'d\s+like|prefer|request(?:ing)?)\s+(?:a|an|the)?\s*"
    r"(?:real|live|actual)?\s*(?:person|human(?:\s+being)?|representative|operator|agent)\b"
    r"(?!\s+(?:papilloma\w*|available|for\s+appointments?))",
    r"\b(?:real|live|actual)\s+(?:person|human|people|agent|representative|operator|body)\b",
    r"\bhuman\s+being\b",
    # bare requests: "agent!!", "human please", "representative", "operator"
    r"^\W*(?:a\s+)?(?:human|person|real\s+person|agent|live\s+agent|operator|representative|rep"
    r"|receptionist|someone|anyone|staff)(?:\s+(?:please|pls|plz|now|asap))?\W*$",
    r"\b(?:human|representative|operator|agent)\s*(?:please|pls|plz|now)\b",
    # "have someone call me", "can a nurse phone me back"
    r"\b(?:have|can|could|would|will)\s+(?:someone|somebody|a\s+person|a\s+nurse|a\s+staff\s+"
    r"member|staff|a\s+human|an\s+agent|the\s+front\s+desk|a\s+member\s+of\s+(?:your\s+)?staff)"
    r"\s+(?:call|phone|ring|contact|text)\s+me\b",
    # "stop the bot", "no more robots", "not a machine"
    r"\b(?:stop|no\s+more|enough\s+with|done\s+with|hate)\s+(?:the\s+|this\s+|talking\s+to\s+"
    r"(?:a\s+|the\s+)?)?(?:bot|robot|machine|chatbot|automated|computer)s?\b",
    r"\bnot\s+(?:a|the|this|some)\s+(?:bot|robot|machine|chatbot|computer)\b",
)


def is_emergency(text: str) -> bool:
    """Whether any `EMERGENCY_PATTERNS` regex matches `text` (case-insensitive)."""
    return any(re.search(p, text, flags=re.IGNORECASE) for p in EMERGENCY_PATTERNS)


def mentions_self_harm(text: str) -> bool:
    """Whether any `SELF_HARM_PATTERNS` regex matches `text` (case-insensitive)."""
    return any(re.search(p, text, flags=re.IGNORECASE) for p in SELF_HARM_PATTERNS)


def asks_for_person(text: str) -> bool:
    """Whether any `PERSON_REQUEST_PATTERNS` regex matches `text` (case-insensitive)."""
    return any(re.search(p, text, flags=re.IGNORECASE) for p in PERSON_REQUEST_PATTERNS)


__all__ = [
    "COMPLAINT_EXAMPLES",
    "EMERGENCY_EXAMPLES",
    "EMERGENCY_PATTERNS",
    "LEGAL_EXAMPLES",
    "OUT_OF_SCOPE_EXAMPLES",
    "PERSON_REQUEST_PATTERNS",
    "SELF_HARM_PATTERNS",
    "asks_for_person",
    "is_emergency",
    "mentions_self_harm",
]
