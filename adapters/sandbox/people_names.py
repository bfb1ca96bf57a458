"""The raw material of generated people: names that go together by locale, nicknames, employers, job
titles, tags, and the planted people every dataset contains. Kept apart from the generator so the
generator reads as logic, and so a new fake can reuse the same pools for its own records."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Locale:
    """Where people come from: names that go together, and what their contact details look like."""

    code: str
    weight: float
    groups: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]  # (first names, last names) that go together
    time_zones: tuple[str, ...]  # Rails-style names, as Greenhouse reports them
    phone: str  # '#' is a digit
    mail_domains: tuple[str, ...]
    cities: tuple[str, ...]


_EN_FIRST = ("Robert", "William", "Elizabeth", "Katherine", "Margaret", "Alexander", "James", "Richard",
             "Michael", "Jennifer", "Christopher", "Daniel", "Thomas", "Joseph", "Patricia", "Rebecca",
             "Nicholas", "Jonathan", "Benjamin", "Samantha", "Victoria", "Emily", "Olivia", "Ethan", "Noah",
             "Ava", "Madison", "Tyler", "Ashley", "Jessica", "Megan", "Jordan", "Taylor", "Morgan", "Sarah",
             "John", "Jon", "David", "Catherine", "Kathryn", "Andrew", "Matthew", "Laura", "Rachel", "Aaron",
             "DeShawn", "Jamal", "Keisha", "Maya", "Hunter", "Brooke", "Caleb", "Zoe", "Isaiah", "Lauren")
_EN_LAST = ("Smith", "Smyth", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson",
            "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark",
            "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Hill", "Green",
            "Adams", "Baker", "Nelson", "Carter", "Mitchell", "Roberts", "Turner", "Phillips", "Campbell",
            "Parker", "Evans", "Edwards", "Collins", "Stewart", "Morris", "Murphy", "Cook", "Rogers",
            "Smith-Jones", "Whitaker", "Washington", "Bennett", "Reyes-Holloway", "McAllister")

LOCALES: tuple[Locale, ...] = (
    Locale("us", 26, ((_EN_FIRST, _EN_LAST),),
           ("Eastern Time (US & Canada)", "Central Time (US & Canada)", "Pacific Time (US & Canada)",
            "Mountain Time (US & Canada)"),
           "+1 (###) 555-01##", ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me"),
           ("Austin, TX", "Brooklyn, NY", "Seattle, WA", "Chicago, IL", "Denver, CO", "Atlanta, GA")),
    Locale("uk", 8, ((("Siobhán", "Niamh", "Aoife", "Seán", "Ciarán", "Oliver", "Harry", "George",
                       "Charlotte", "Amelia", "Eleanor", "Hugh", "Fionnuala", "Rhys", "Gareth", "Siân",
                       "Zoë", "Anne-Marie", "Eoin", "Caoimhe"),
                      ("O'Connor", "O'Brien", "O'Neill", "McCarthy", "Murphy", "Kelly", "Walsh", "Byrne",
                       "Hughes", "Davies", "Evans", "Fitzgerald", "Ní Bhriain", "Mac Giolla Phádraig",
                       "Brontë", "Smith-Jones", "Ap Rhys", "Featherstonehaugh")),),
           ("London", "Dublin", "Edinburgh"), "+44 7700 900###",
           ("gmail.com", "outlook.com", "btinternet.com", "icloud.com"),
           ("London, UK", "Manchester, UK", "Dublin, Ireland", "Cardiff, UK", "Belfast, UK")),
    Locale("es", 8, ((("José", "María", "Juan", "Ana", "Luis", "Carmen", "Javier", "Lucía", "Sofía", "Mateo",
                       "Alejandro", "Valentina", "Camila", "Ángel", "Inés", "Raúl", "José Luis", "María José",
                       "Iñigo", "Begoña"),
                      ("García", "Martínez", "López", "Hernández", "González", "Rodríguez", "Pérez", "Sánchez",
                       "Ramírez", "Torres", "de la Cruz", "García Márquez", "del Río", "Núñez", "Ibáñez",
                       "Muñoz", "de la Fuente", "Gómez-Ortega", "Fernández de Córdoba")),),
           ("Madrid", "Mexico City", "Bogota", "Buenos Aires"), "+34 6## ### ###",
           ("gmail.com", "hotmail.es", "yahoo.es", "outlook.com"),
           ("Madrid, Spain", "Barcelona, Spain", "Ciudad de México, Mexico", "Bogotá, Colombia")),
    Locale("fr", 5, ((("François", "Hélène", "Amélie", "Léa", "Chloé", "Étienne", "Jérôme", "Gaëlle",
                       "Anne-Marie", "Jean-Luc", "Jean-Baptiste", "Océane", "Noël", "Benoît", "Françoise",
                       "Maëlle"),
                      ("Dupont", "Lefèvre", "Moreau", "Laurent", "Girard", "Bonnet", "Dubois", "Fournier",
                       "Rousseau", "Mercier", "Lemaître", "Bérubé", "D'Arcy", "Saint-Amand", "Côté")),),
           ("Paris", "Brussels"), "+33 6 ## ## ## ##", ("gmail.com", "orange.fr", "free.fr", "laposte.net"),
           ("Paris, France", "Lyon, France", "Montréal, Canada", "Bruxelles, Belgium")),
    Locale("de", 5, ((("Jürgen", "Jörg", "Björn", "Günter", "Uwe", "Lena", "Lukas", "Jonas", "Mia", "Hannah",
                       "Sören", "Anja", "Maximilian", "Felix", "Greta", "Käthe"),
                      ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
                       "Schäfer", "Groß", "Köhler", "Hoffmann", "Krüger", "von Bülow", "Weiß",
                       "Zimmermann")),),
           ("Berlin", "Vienna", "Bern"), "+49 30 #######", ("gmail.com", "gmx.de", "web.de", "posteo.de"),
           ("Berlin, Germany", "München, Germany", "Wien, Austria", "Zürich, Switzerland")),
    Locale("nordic", 4, ((("Søren", "Bjørn", "Björn", "Åsa", "Ingrid", "Kjell", "Märta", "Lars", "Astrid",
                           "Freja", "Mikkel", "Sølvi", "Eirik"),
                          ("Kierkegaard", "Sørensen", "Jørgensen", "Andersson", "Lindqvist", "Åberg", "Nyström",
                           "Øvergaard", "Halvorsen", "Løvland", "Bækgaard")),
                         (("Sigríður", "Þóra", "Katrín"), ("Guðmundsdóttir", "Jónsdóttir"))),
           ("Copenhagen", "Stockholm"), "+45 ## ## ## ##", ("gmail.com", "outlook.dk", "live.se"),
           ("København, Denmark", "Stockholm, Sweden", "Oslo, Norway", "Reykjavík, Iceland")),
    Locale("pl", 4, ((("Łukasz", "Małgorzata", "Paweł", "Zofia", "Wojciech", "Agnieszka", "Grzegorz",
                       "Katarzyna", "Krzysztof", "Jędrzej", "Michał", "Tomáš", "Jiří", "Zuzana", "Ondřej"),
                      ("Wójcik", "Nowak", "Lewandowski", "Dąbrowski", "Kamiński", "Zieliński", "Szymański",
                       "Woźniak", "Dvořák", "Novák", "Procházka", "Wiśniewski")),),
           ("Warsaw", "Prague"), "+48 5## ### ###", ("gmail.com", "wp.pl", "onet.pl", "seznam.cz"),
           ("Warszawa, Poland", "Kraków, Poland", "Wrocław, Poland", "Praha, Czechia")),
    Locale("balkan", 2, ((("Đorđe", "Dušan", "Milica", "Jelena", "Nikola", "Marija", "Željko", "Stefan",
                           "Ivana", "Goran", "Bojana"),
                          ("Petrović", "Jovanović", "Đorđević", "Nikolić", "Marković", "Kovačević", "Babić",
                           "Horvat", "Šarić", "Perić")),),
           ("Belgrade", "Zagreb"), "+381 6# ### ####", ("gmail.com", "yahoo.com"),
           ("Beograd, Serbia", "Novi Sad, Serbia", "Zagreb, Croatia")),
    Locale("nl", 3, ((("Pieter", "Sanne", "Daan", "Femke", "Joost", "Lotte", "Thijs", "Anouk", "Maarten", "Eva",
                       "Bram", "Ruud"),
                      ("van der Berg", "de Vries", "van Dijk", "Bakker", "Janssen", "de Jong", "van den Broek",
                       "Visser", "van Leeuwen", "de Graaf", "Smit", "van 't Hof")),),
           ("Amsterdam",), "+31 6 ########", ("gmail.com", "ziggo.nl", "kpnmail.nl"),
           ("Amsterdam, Netherlands", "Utrecht, Netherlands", "Rotterdam, Netherlands")),
    Locale("it", 3, ((("Giuseppe", "Francesca", "Marco", "Giulia", "Alessandro", "Chiara", "Lorenzo", "Martina",
                       "Niccolò", "Federica", "Matteo", "Elisa"),
                      ("D'Angelo", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo",
                       "Ricci", "Di Stefano", "Dell'Acqua", "De Luca", "Lo Russo")),),
           ("Rome",), "+39 3## ### ####", ("gmail.com", "libero.it", "tiscali.it"),
           ("Milano, Italy", "Roma, Italy", "Torino, Italy", "Bologna, Italy")),
    Locale("pt", 4, ((("João", "Gonçalo", "Inês", "Tiago", "Beatriz", "Luíza", "Thiago", "Ana Clara", "Caio",
                       "Letícia", "Vitória", "Conceição"),
                      ("Silva", "Santos", "Oliveira", "Souza", "Pereira", "Conceição", "Gonçalves", "Magalhães",
                       "Araújo", "Simões", "da Silva", "dos Santos")),),
           ("Lisbon", "Brasilia"), "+55 11 9####-####", ("gmail.com", "hotmail.com", "uol.com.br", "sapo.pt"),
           ("São Paulo, Brazil", "Lisboa, Portugal", "Porto, Portugal", "Florianópolis, Brazil")),
    Locale("vn", 3, ((("Văn An", "Thị Hoa", "Minh Anh", "Đức Minh", "Thu Trang", "Quốc Bảo", "Ngọc Lan",
                       "Hoàng Long", "Thanh Hương"),
                      ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Võ", "Đặng", "Bùi")),),
           ("Hanoi",), "+84 9# ### ## ##", ("gmail.com", "yahoo.com.vn"),
           ("Hà Nội, Vietnam", "Thành phố Hồ Chí Minh, Vietnam", "Đà Nẵng, Vietnam")),
    Locale("in", 8, ((("Priya", "Rahul", "Ananya", "Arjun", "Aditi", "Vikram", "Sneha", "Rohan", "Kavya",
                       "Aarav", "Lakshmi", "Siddharth", "Deepika", "Karthik", "Meenakshi", "Venkatesh"),
                      ("Sharma", "Patel", "Iyer", "Reddy", "Nair", "Gupta", "Krishnan", "Menon", "Chatterjee",
                       "Banerjee", "Subramanian", "Venkataraman", "Singh", "Kaur", "Desai", "Rao")),),
           ("Mumbai", "Chennai", "New Delhi", "Kolkata"), "+91 98### #####",
           ("gmail.com", "yahoo.co.in", "rediffmail.com", "outlook.com"),
           ("Bengaluru, India", "Pune, India", "Hyderabad, India", "Chennai, India")),
    Locale("cn", 5, ((("Wei", "Xiaoling", "Jun", "Mei", "Hao", "Yutong", "Zhiwei", "Jing", "Lei", "Xinyi",
                       "Haoran", "Yi"),
                      ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun",
                       "Lin")),),
           ("Beijing", "Taipei", "Hong Kong"), "+86 138 #### ####", ("gmail.com", "qq.com", "163.com"),
           ("Shanghai, China", "Shenzhen, China", "Taipei, Taiwan", "Singapore")),
    Locale("jp", 2, ((("Haruto", "Yui", "Sōta", "Aoi", "Ren", "Yuki", "Sakura", "Kenji", "Takumi", "Ayaka"),
                      ("Satō", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Itō", "Yamamoto", "Nakamura",
                       "Kobayashi", "Ōno")),),
           ("Tokyo", "Osaka"), "+81 90-####-####", ("gmail.com", "yahoo.co.jp", "docomo.ne.jp"),
           ("Tokyo, Japan", "Osaka, Japan", "Fukuoka, Japan")),
    Locale("kr", 2, ((("Ji-woo", "Min-jun", "Seo-yeon", "Ha-eun", "Do-yun", "Ji-ho", "Soo-ah", "Hyun-woo",
                       "Ye-jin"),
                      ("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim")),),
           ("Seoul",), "+82 10-####-####", ("gmail.com", "naver.com", "daum.net"),
           ("Seoul, South Korea", "Busan, South Korea")),
    Locale("wa", 3, ((("Chinedu", "Adaeze", "Oluwaseun", "Ngozi", "Emeka", "Folake", "Tunde", "Chiamaka",
                       "Babatunde", "Yewande", "Kwame", "Ama", "Kofi", "Abena"),
                      ("Okafor", "Adeyemi", "Okonkwo", "Balogun", "Eze", "Nwosu", "Oyelaran", "Mensah", "Asante",
                       "Boateng", "Osei", "Adebayo-Smith")),),
           ("West Central Africa", "Monrovia"), "+234 80# ### ####", ("gmail.com", "yahoo.com", "outlook.com"),
           ("Lagos, Nigeria", "Abuja, Nigeria", "Accra, Ghana", "Nairobi, Kenya")),
    Locale("my", 2, ((("Ahmad", "Muhammad", "Hafiz", "Faizal", "Azlan"),
                      ("bin Abdullah", "bin Hassan", "bin Ismail", "bin Yusof")),
                     (("Nur Aisyah", "Siti", "Fatimah", "Nurul"), ("binti Abdullah", "binti Ismail", "binti Omar"))),
           ("Kuala Lumpur",), "+60 12-### ####", ("gmail.com", "yahoo.com.my"),
           ("Kuala Lumpur, Malaysia", "Penang, Malaysia")),
    Locale("me", 3, ((("Omar", "Layla", "Yusuf", "Amira", "Khalid", "Hana", "Zainab", "Tariq", "Rania", "Noa",
                       "Yael", "Itai", "Tamar"),
                      ("Al-Farsi", "El-Sayed", "Haddad", "Khoury", "Rahman", "Aziz", "Al Mansouri", "Cohen",
                       "Levi", "Mizrahi", "Ben-David")),),
           ("Riyadh", "Cairo", "Jerusalem", "Abu Dhabi"), "+971 50 ### ####", ("gmail.com", "hotmail.com"),
           ("Dubai, UAE", "Amman, Jordan", "Tel Aviv, Israel", "Cairo, Egypt")),
    Locale("tr", 2, ((("Çağla", "Gökhan", "Şebnem", "Ömer", "İlker", "Elif", "Burak", "Zeynep", "Oleksandr",
                       "Dmytro", "Olena", "Iryna"),
                      ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Öztürk", "Shevchenko", "Kovalenko",
                       "Bondarenko")),),
           ("Istanbul", "Kyiv"), "+90 5## ### ## ##", ("gmail.com", "hotmail.com", "ukr.net"),
           ("İstanbul, Türkiye", "Ankara, Türkiye", "Kyiv, Ukraine", "Lviv, Ukraine")),
)
LOCALE_BY_CODE = {loc.code: loc for loc in LOCALES}

NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby"), "William": ("Will", "Bill", "Liam"), "Elizabeth": ("Liz", "Beth", "Eliza"),
    "Katherine": ("Kate", "Kat", "Katie"), "Catherine": ("Cat", "Cathy"), "Kathryn": ("Kathy", "Kit"),
    "Margaret": ("Maggie", "Meg", "Peggy"), "Alexander": ("Alex", "Sasha", "Xander"), "James": ("Jim", "Jamie"),
    "Richard": ("Rich", "Rick"), "Michael": ("Mike", "Mick"), "Jennifer": ("Jen", "Jenny"),
    "Christopher": ("Chris", "Topher"), "Daniel": ("Dan", "Danny"), "Thomas": ("Tom", "Tommy"),
    "Joseph": ("Joe", "Joey"), "Patricia": ("Pat", "Trish", "Patty"), "Rebecca": ("Becky", "Becca"),
    "Nicholas": ("Nick", "Nico"), "Jonathan": ("Jon", "Jonny"), "Benjamin": ("Ben", "Benji"),
    "Samantha": ("Sam", "Sammy"), "Victoria": ("Tori", "Vicky"), "Andrew": ("Andy", "Drew"),
    "Matthew": ("Matt",), "Maximilian": ("Max",), "Alejandro": ("Alex",), "Francesca": ("Fran", "Cesca"),
    "Giuseppe": ("Beppe", "Joe"), "Oluwaseun": ("Seun",), "Babatunde": ("Tunde",), "Małgorzata": ("Gosia",),
    "Krzysztof": ("Chris",), "Jędrzej": ("Andrew",), "Siddharth": ("Sid",), "Venkatesh": ("Venky",),
    "Oleksandr": ("Sasha",), "Xiaoling": ("Linda",), "Zhiwei": ("David",), "Haoran": ("Howard",),
    "Yutong": ("Tina",), "Ji-woo": ("Jenny",), "Min-jun": ("Mike",), "Văn An": ("An",), "Thị Hoa": ("Hoa",),
}

COMPANIES = ("Northwind Traders", "Contoso", "Fabrikam", "Lumen Analytics", "Parcelwise", "Tidewater Health",
             "Kestrel Labs", "Blue Fjord AS", "Maison Verte", "Hanseatic Logistics GmbH", "Vistula Software",
             "Saigon Digital", "Andes Fintech", "Bengaluru Cloudworks", "Copperleaf Bank", "Orchard & Pike",
             "Meridian Mobility", "Quillsoft", "Harbor Freight Systems", "Sakura Robotics", "Nordlys Energi",
             "Atlas Insurance", "Polar Payments", "Greenfield Foods", "Ironbridge Consulting", "Zenko Games",
             "Lagos Cloud Exchange", "Rio Verde Labs", "Brightside Media", "Cinder Security")

TITLES: dict[str, tuple[str, ...]] = {
    "engineering": ("Software Engineer", "Senior Software Engineer", "Backend Developer", "Staff Engineer",
                    "Full-Stack Developer", "Platform Engineer", "Site Reliability Engineer",
                    "Engineering Lead"),
    "data": ("Data Scientist", "Machine Learning Engineer", "Data Analyst", "Research Scientist"),
    "design": ("Product Designer", "UX Designer", "Senior UI/UX Designer", "Design Lead", "UX Researcher"),
    "sales": ("Account Executive", "Sales Development Representative", "Enterprise Account Manager",
              "Business Development Manager"),
    "success": ("Customer Success Manager", "Account Manager", "Support Team Lead", "Implementation Consultant"),
    "marketing": ("Marketing Manager", "Growth Marketer", "Head of Brand", "Content Strategist"),
}

TAGS = ("Python", "Go", "React", "TypeScript", "Kubernetes", "Machine Learning", "Referral", "Sourced",
        "Silver medalist", "Boomerang", "Needs visa sponsorship", "Open to relocation", "Remote only",
        "Leadership", "Conference contact", "Do not contact")


# Hand-placed people that every dataset contains (as far as its size allows), most important first:
# (first, last, preferred name, locale, company override)
PLANTED: tuple[tuple[str, str, str | None, str, str | None], ...] = (
    ("John", "Smith", None, "us", "Contoso"),
    ("John", "Smith", None, "us", "Fabrikam"),
    ("Jon", "Smyth", None, "uk", None),
    ("José", "García", None, "es", None),
    ("Zoë", "Brontë", None, "uk", None),
    ("Łukasz", "Wójcik", None, "pl", None),
    ("François", "Dupont", None, "fr", None),
    ("Søren", "Kierkegaard", None, "nordic", None),
    ("Björn", "Lindqvist", None, "nordic", None),
    ("Văn An", "Nguyễn", "An", "vn", None),
    ("Đorđe", "Petrović", None, "balkan", None),
    ("Anne-Marie", "Smith-Jones", None, "uk", None),
    ("Siobhán", "O'Connor", None, "uk", None),
    ("Marco", "D'Angelo", None, "it", None),
    ("Pieter", "van der Berg", None, "nl", None),
    ("María", "de la Cruz", None, "es", None),
    ("Gabriel", "García Márquez", "Gabo", "es", None),
    ("Ahmad", "bin Abdullah", None, "my", None),
    ("Robert", "Miller", "Bob", "us", None),
    ("Elizabeth", "Carter", "Liz", "us", None),
    ("Katherine", "Lee", "Kate", "us", None),
    ("Catherine", "Lee", None, "us", None),
    ("Kathryn", "Li", None, "cn", None),
    ("María", "García", None, "es", None),
    ("Maria", "Garcia", None, "us", None),
    ("Wei", "Zhang", None, "cn", None),
    ("Wei", "Zhang", "David", "cn", None),
    ("William", "Chen", "Will", "us", None),
    ("Wei", "Chen", "William", "cn", None),
    ("Priya", "Sharma", None, "in", None),
    ("Priya", "Raman", None, "in", None),
    ("Priya", "Sharma-Iyer", None, "in", None),
    ("Alexander", "Novak", "Sasha", "pl", None),
    ("James", "O'Brien", "Jamie", "uk", None),
    ("Margaret", "Nguyen", "Maggie", "us", None),
    ("Richard", "Thompson", None, "us", None),
    ("Jürgen", "Müller", None, "de", None),
    ("Jurgen", "Mueller", None, "de", None),
)

FAMILIES = tuple(TITLES)
RESUME_NAMES = ("{first}_{last}_Resume.pdf", "{first} {last} CV.pdf", "resume_{slug}.docx", "CV - {first} {last}.pdf",
                "Resume.pdf", "{first}{last}Resume2025.pdf")
COVER_NAMES = ("Cover Letter - {first} {last}.pdf", "cover_letter.docx", "{slug}_cover_letter.pdf")
PHONE_TYPES = ("mobile", "mobile", "mobile", "home", "work")

# Schools for education lines on profiles and parsed resumes.
SCHOOLS = ("ETH Zürich", "Universidad de Buenos Aires", "University of Lagos", "KTH", "IIT Bombay",
           "Université Paris-Saclay", "University of Tokyo", "TU München", "MIT", "University of Cape Town")
