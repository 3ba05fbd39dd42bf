"""Word lists for the redactor's recognisers (`_recognizers.py`).

FIRST_NAMES: common US given names (among the most frequent in Social Security card
applications over the last decades), for the name recogniser. Names that are also everyday English
words or months (Will, Bill, May, June, Grace, Hope, ...) are left out: they would redact too
much ordinary text, and the context recognisers still catch them after "Mr.", "Patient:" etc.
"""

from __future__ import annotations

FIRST_NAMES: frozenset[str] = frozenset(
    """
    James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel
    Matthew Anthony Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald
    Edward Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott
    Brandon Benjamin Samuel Gregory Alexander Patrick Dennis Tyler Aaron Adam Nathan Henry
    Douglas Zachary Peter Kyle Walter Ethan Jeremy Harold Keith Christian Roger Noah Gerald Carl
    Terry Sean Austin Arthur Lawrence Jesse Dylan Bryan Joe Jordan Billy Bruce Albert Willie
    Gabriel Logan Alan Juan Wayne Elijah Randy Roy Vincent Ralph Eugene Russell Bobby Mason
    Philip Louis Liam Lucas Oliver Mateo Sebastian Jackson Aiden Carter Owen Wyatt Luke Isaac
    Jayden Levi Caleb Hunter Connor Eli Landon Adrian Miguel Carlos Jose Luis Jorge Diego
    Ahmed Mohammed Muhammad Omar Ali Hassan Wei Jian Hiroshi Kenji Raj Rahul Arjun Vikram
    Dmitri Ivan Sergei Giovanni Marco Pierre Hans Lars Kwame Chinedu Tunde
    Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty
    Margaret Sandra Ashley Kimberly Emily Donna Michelle Carol Amanda Dorothy Melissa Deborah
    Stephanie Rebecca Sharon Laura Cynthia Kathleen Amy Angela Shirley Anna Brenda Pamela Emma
    Nicole Helen Samantha Katherine Christine Debra Rachel Carolyn Janet Catherine Maria Heather
    Diane Ruth Julie Olivia Joyce Virginia Victoria Kelly Lauren Christina Joan Evelyn Judith
    Megan Andrea Cheryl Hannah Jacqueline Martha Gloria Teresa Ann Sara Madison Frances Kathryn
    Janice Jean Abigail Alice Judy Sophia Denise Amber Doris Marilyn Danielle Beverly Isabella
    Theresa Diana Natalie Brittany Charlotte Marie Kayla Alexis Lori Ava Mia Harper Amelia
    Ella Chloe Zoe Layla Nora Scarlett Aria Riley Penelope Camila Luna Aaliyah Priya Ananya
    Mei Yuki Sakura Fatima Aisha Leila Sofia Valentina Lucia Elena Olga Ingrid Astrid Chiara
    Giulia Ngozi Amara Keisha Tamika Latoya Shanice Guadalupe Rosa Carmen Ana Yolanda Esperanza
    Marisol Lakshmi Deepa Sunita Anjali Ming Xiu Hana Noor Zainab Maryam Yasmin
    """.split()
)

STATES = frozenset(  # US state and territory codes
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY".split()
)

STATE_NAME = (
    r"Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|"
    r"Hawaii|Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|"
    r"Massachusetts|Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|"
    r"New\s+Hampshire|New\s+Jersey|New\s+Mexico|New\s+York|North\s+Carolina|North\s+Dakota|"
    r"Ohio|Oklahoma|Oregon|Pennsylvania|Rhode\s+Island|South\s+Carolina|South\s+Dakota|"
    r"Tennessee|Texas|Utah|Vermont|Virginia|Washington|West\s+Virginia|Wisconsin|Wyoming|"
    r"District\s+of\s+Columbia"
)

NOT_NAME = frozenset(
    """
    a about after again ago all already also always am an and another any anyone anything are
    around as at away back bad be because been before being best better both but by can cannot
    could did do does doing done down during each early either else even ever every everyone
    everything few fine first for from gone good got great had hard has have he her here hers
    him his home how however i if in into is it its just last late less like many maybe me might
    mine more most much must my myself never new next no nobody none not nothing now of off ok
    okay on once one only or other our out over own please quite rather ready really right same
    second she should since so some someone something sometimes soon sorry still such sure than
    thank thanks that the their them then there these they this those though through thx to
    today tomorrow tonight too two under until up upon us usually very was we well were what
    when where whether which while who whom whose why will with without would yes yesterday yet
    you your yours hi hello hey dear sir madam team folks urgent important serious normal sick
    sore tired worse worst wrong weird strange true false real calling speaking writing texting
    cheers regards sent iphone android appointment appointments visit visits follow followup
    problem problems note notes chief complaint assessment plan history impression diagnosis
    diagnoses medications medication meds labs lab allergies allergy vitals vital exam
    examination summary subjective objective recent interval review results result report
    reports discharge admission admitted duration type types status stage grade class onset
    course procedure procedures imaging patient patients provider providers physician physicians
    doctor doctors nurse nurses staff clinic clinics hospital hospitals center centre department
    dept unit floor office service services group practice pharmacy pharmacist laboratory
    radiology cardiology neurology oncology dermatology urology nephrology endocrinology
    gastroenterology hepatology pulmonology rheumatology hematology haematology pediatrics
    paediatrics orthopedics orthopaedics psychiatry psychology obstetrics gynecology gynaecology
    ophthalmology optometry audiology podiatry surgery surgeon medicine internal general primary
    emergency intensive critical care health healthcare medical clinical physical occupational
    speech mental behavioral behavioural therapy therapist rehab rehabilitation billing
    insurance claims claim records scheduling front desk reception portal support customer blue
    shield medicare medicaid aetna cigna humana kaiser united anthem ppo hmo pcp er icu ob gyn
    ent gp np pa rn md phd consultant specialist anaesthesia anesthesia disease disorder
    syndrome deficit deficiency failure pain fever infection injury cancer diabetes pressure
    heart blood kidney liver lung chest abdominal test tests screening vaccine shot refill
    prescription dose monday tuesday wednesday thursday friday saturday sunday tue tues thu thur
    thurs fri week weekend month year morning afternoon evening night needs need wants want gets
    takes took says said feels felt keeps kept seems came comes goes went woke fell hurt hurts
    ate sleeps slept cried coughs threw can't won't didn't doesn't isn't wasn't hasn't haven't
    don't dont cant wont wishes guys doc docs rash skin eye eyes ear ears knee knees hip hips
    neck head throat stomach sleep weight sugar cholesterol thyroid bone bones joint joints foot
    feet hand hands arm arms leg legs shoulder tooth teeth dental vision hearing flu covid cold
    cough asthma migraine headache anxiety depression stress annual wellness checkup shots work
    bloodwork campus mychart app website line hotline generic brand extended release walk-in
    tear cuff rotator fracture sprain strain tendon ligament muscle spine disc hernia ulcer
    stone stones gout acne eczema psoriasis lupus shingles strep sinus pneumonia influenza
    measles mumps rubella tetanus herpes hpv hiv aids std sti uti copd chf cad afib dvt gerd
    ibs ibd celiac attack stroke seizure seizures epilepsy palsy dementia autism adhd ptsd ocd
    bipolar schizophrenia insomnia obesity pregnancy prenatal postpartum menopause birth
    control mammogram biopsy scan mri ct xray x-ray ultrasound ekg ecg echo labwork panel
    culture swab drug drugs pill pills tablet tablets injection infusion booster immunization
    chronic acute severe mild lower upper left right high low pulmonary pulmonology
    cardiac renal hepatic neonatal perinatal labor labour delivery trauma vascular thoracic
    infectious diseases reason dictated transcribed signed electronically attending resident
    fellow intern source
    """.split()
)
"""Words that are not names, for context weaker than a title (`_name_part`)."""

MONTHS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
