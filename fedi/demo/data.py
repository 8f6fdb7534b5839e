"""Who and what the demo seeds on each instance: teachers, their profiles and first posts."""

from __future__ import annotations

from dataclasses import dataclass, field

# Printed by `make run` on purpose: a loopback demo, never a real deployment.
DEMO_PASSWORD = "jamii-demo-2026"  # noqa: S105


@dataclass(frozen=True)
class Teacher:
    username: str
    display_name: str
    school: str
    subjects: tuple[str, ...]
    grades: tuple[str, ...]
    languages: tuple[str, ...]
    bio: str
    role: str = "user"


@dataclass(frozen=True)
class Post:
    author: str
    text: str
    language: str
    reply_to: int | None = None  # index of an earlier post in the same list
    poll: tuple[str, ...] = ()  # answers, when the post asks colleagues a question


@dataclass(frozen=True)
class CommunitySeed:
    name: str
    display_name: str
    description: str
    subject: str
    grades: tuple[str, ...]
    languages: tuple[str, ...]
    rules: tuple[str, ...]
    moderator: str
    visibility: str = "public"


@dataclass(frozen=True)
class Seed:
    teachers: tuple[Teacher, ...]
    follows: tuple[tuple[str, str], ...]
    posts: tuple[Post, ...] = field(default_factory=tuple)
    communities: tuple[CommunitySeed, ...] = field(default_factory=tuple)


# Communities of practice, created with each instance's teachers; teachers elsewhere join
# them through CROSS_FOLLOWS (joining a community is following its Group).
COMMUNITIES: dict[str, tuple[CommunitySeed, ...]] = {
    "ke": (
        CommunitySeed(
            "maths",
            "Mathematics, secondary",
            "Lesson ideas, worksheets and questions for secondary mathematics teachers.",
            "Mathematics",
            ("Form 1", "Form 2", "Form 3", "Form 4"),
            ("en", "sw", "fr", "pt"),
            ("Be kind: we are all learning.", "Share your sources."),
            "amina",
        ),
    ),
    "sn": (
        CommunitySeed(
            "lecture",
            "Lecture et écriture, primaire",
            "Apprendre à lire et à écrire : activités, livres et évaluations.",
            "Lecture",
            ("CP", "CE1", "CE2"),
            ("fr", "en"),
            ("Bienveillance avant tout.",),
            "fatou",
        ),
    ),
}


SEEDS: dict[str, Seed] = {
    "ke": Seed(
        teachers=(
            Teacher(
                "amina",
                "Amina Otieno",
                "Kisumu Girls High School",
                ("Mathematics",),
                ("Form 2", "Form 3"),
                ("en", "sw"),
                "Maths teacher in Kisumu. I collect hands-on lessons for fractions.",
                "admin",
            ),
            Teacher(
                "baraka",
                "Baraka Mwangi",
                "Nyeri Primary School",
                ("Science", "ICT"),
                ("Grade 5", "Grade 6"),
                ("sw", "en"),
                "Mwalimu wa sayansi. Napenda majaribio rahisi darasani.",
            ),
        ),
        follows=(("baraka", "amina"), ("amina", "baraka")),
        posts=(
            Post(
                "amina",
                "Today my Form 2 class folded paper strips to compare fractions. "
                "Even the quiet students explained why 3/4 is bigger than 2/3! #maths #fractions",
                "en",
            ),
            Post(
                "baraka",
                "@amina Asante! Nitajaribu na wanafunzi wangu wa darasa la tano kesho.",
                "sw",
                reply_to=0,
            ),
            Post(
                "baraka",
                "Jaribio la leo: mbegu za maharagwe kwenye pamba yenye maji. "
                "Wanafunzi wataandika mabadiliko kila siku. #sayansi",
                "sw",
            ),
            Post(
                "amina",
                "Which reading method works in your class? #reading",
                "en",
                poll=("Phonics", "Whole language", "Shared reading"),
            ),
        ),
    ),
    "sn": Seed(
        teachers=(
            Teacher(
                "fatou",
                "Fatou Diop",
                "École élémentaire de Thiès",
                ("Lecture", "Français"),
                ("CE1", "CE2"),
                ("fr", "wo"),
                "Institutrice à Thiès. La lecture à voix haute change tout.",
                "admin",
            ),
            Teacher(
                "moussa",
                "Moussa Ndiaye",
                "Lycée Blaise Diagne, Dakar",
                ("Physique-Chimie",),
                ("Seconde",),
                ("fr", "en"),
                "Professeur de physique-chimie à Dakar.",
            ),
        ),
        follows=(("moussa", "fatou"),),
        posts=(
            Post(
                "fatou",
                "Nouvelle routine : dix minutes de lecture à voix haute chaque matin. "
                "Les élèves choisissent le livre à tour de rôle. #lecture",
                "fr",
            ),
            Post(
                "moussa",
                "@fatou Excellente idée. Je vais essayer avec des articles de "
                "vulgarisation scientifique en Seconde.",
                "fr",
                reply_to=0,
            ),
        ),
    ),
    "mz": Seed(
        teachers=(
            Teacher(
                "joao",
                "João Macuácua",
                "Escola Secundária de Maputo",
                ("Matemática",),
                ("8ª classe",),
                ("pt", "en"),
                "Professor de matemática em Maputo. Gosto de jogos no ensino.",
                "admin",
            ),
            Teacher(
                "graca",
                "Graça Sitoe",
                "Escola Primária de Beira",
                ("Língua Portuguesa",),
                ("3ª classe",),
                ("pt",),
                "Professora primária na Beira.",
            ),
        ),
        follows=(("graca", "joao"), ("joao", "graca")),
        posts=(
            Post(
                "joao",
                "Usei um jogo de cartas para ensinar números negativos na 8ª classe. "
                "Os alunos pediram para jogar outra vez! #matemática",
                "pt",
            ),
            Post(
                "graca",
                "@joao Pode partilhar as regras do jogo? Gostava de adaptar para a primária.",
                "pt",
                reply_to=0,
            ),
        ),
    ),
    "tz": Seed(
        teachers=(
            Teacher(
                "neema",
                "Neema Mushi",
                "Shule ya Msingi Arusha",
                ("Kiswahili", "Hisabati"),
                ("Darasa la 4",),
                ("sw", "en"),
                "Mwalimu wa shule ya msingi Arusha.",
                "admin",
            ),
        ),
        follows=(),
        posts=(
            Post(
                "neema",
                "Leo tumesoma hadithi fupi na kila kikundi kikaigiza sehemu moja. "
                "Watoto walifurahi sana! #kusoma",
                "sw",
            ),
        ),
    ),
}

# Teachers who follow colleagues in other countries: (instance, username, instance, username).
CROSS_FOLLOWS: tuple[tuple[str, str, str, str], ...] = (
    ("sn", "fatou", "ke", "maths"),
    ("mz", "joao", "ke", "maths"),
    ("tz", "neema", "ke", "maths"),
    ("ke", "baraka", "sn", "lecture"),
    ("sn", "fatou", "ke", "amina"),
    ("mz", "joao", "ke", "amina"),
    ("ke", "amina", "sn", "fatou"),
    ("ke", "amina", "mz", "joao"),
    ("mz", "graca", "sn", "fatou"),
    ("tz", "neema", "ke", "baraka"),
    ("ke", "baraka", "tz", "neema"),
    ("sn", "moussa", "mz", "joao"),
)

# A conversation across borders and languages, posted once the follows above are accepted:
# (instance, author, text, language, index of the post it answers or None).
CROSS_THREAD: tuple[tuple[str, str, str, str, int | None], ...] = (
    (
        "ke",
        "amina",
        "Colleagues in Senegal and Mozambique: how do you teach fractions to large classes? "
        "I use folded paper strips. #maths",
        "en",
        None,
    ),
    (
        "sn",
        "fatou",
        "@amina@{ke} Nous utilisons des bandes de papier aussi, et des gâteaux dessinés au "
        "tableau. Les élèves adorent partager !",
        "fr",
        0,
    ),
    (
        "mz",
        "joao",
        "@amina@{ke} Na minha turma de 60 alunos, trabalhamos em grupos de quatro com "
        "tampinhas de garrafa. Funciona muito bem.",
        "pt",
        0,
    ),
    (
        "sn",
        "fatou",
        "@maths@{ke} Bonjour la communauté ! Voici notre fiche sur les fractions équivalentes "
        "pour les grands groupes : dessinez, pliez, comparez.",
        "fr",
        None,
    ),
)
