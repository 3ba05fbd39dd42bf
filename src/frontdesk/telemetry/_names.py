"""Common US given names (among the most frequent in Social Security card applications over
the last decades), for the redactor's name recogniser. Names that are also everyday English
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
