"""Given-name nicknames and spelling variants, so "bob smith" finds Robert Smith and "robert" finds Bob.

Each entry is one family of names: the formal spellings (before the colon, separated by "|") and the
short forms people go by (after it). Two names are related when they share an entry:
- a formal name and its nickname, or two spellings of the formal name, are close (`NICKNAME_PENALTY`);
- two nicknames of the same formal name (Bob and Rob) are a step further (`SIBLING_PENALTY`).
A name may sit in several entries (Chris: Christopher, Christina, Christian); relations are unioned and
the closest one wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from bot.names.normalize import normalize_name

# Score points taken off a perfect match when a given name matched through this table.
NICKNAME_PENALTY: Final = 5.0
SIBLING_PENALTY: Final = 7.0

_ENTRIES = """
robert: bob bobby rob robbie robby bert
roberta: bobbie robbie berta
william: bill billy will willy willie liam
james: jim jimmy jamie jem
john|jon: johnny jack jackie
jonathan|jonathon: jon jonny johnny nathan
michael: mike mikey mick mickey
richard: rick ricky dick rich richie
thomas: tom tommy
christopher|kristopher: chris kit topher
christina|christine|kristina|kristine: chris chrissy tina kris
christian|kristian: chris
elizabeth|elisabeth: liz lizzie lizzy beth betty bettie eliza elsie libby lisa liza ellie
katherine|catherine|kathryn|katharine|kathrine|catharine: kate katie katy kathy cathy kat cat kay kitty
kathleen: kathy kath kate
margaret: peggy maggie meg marge margie madge greta
alexander|aleksandr|alexandr|aleksander: alex alec sasha sandy xander lex
alexandra|aleksandra: alex sasha sandra lexi sandy alexa
alexis: alex lexi
joseph: joe joey
josephine: jo josie
jose: pepe pepito chepe
francisco: paco pancho curro cisco
francis: frank frankie fran
frances: fran frannie frankie
franklin: frank
daniel: dan danny
daniela|daniella|danielle: dani
david: dave davey
edward: ed eddie ted teddy ned
edwin: ed eddie
theodore: ted teddy theo
anthony|antony: tony
antonio: tony toni
andrew: andy drew
benjamin: ben benny benji
charles: charlie chuck chas chaz
charlotte: charlie lottie
patrick: pat paddy
patricia: pat patty trish tricia
steven|stephen: steve stevie
matthew: matt matty
nicholas|nicolas|nikolas: nick nicky nico
nicole: nikki nicky
samuel: sam sammy
samantha: sam sammy
timothy: tim timmy
gregory: greg
jeffrey|geoffrey: jeff geoff
jennifer: jen jenny jenn
jessica: jess jessie
rebecca: becky becca
susan|suzanne: sue susie suzy
deborah|debra: deb debbie
victoria: vicky tori
virginia: ginny ginger
dorothy: dot dottie dolly
barbara: barb babs barbie
kimberly|kimberley: kim
pamela: pam
abigail: abby gail
amanda: mandy
cynthia: cindy
donald: don donnie
douglas: doug
gerald: gerry jerry
jerome: jerry
jeremiah|jeremy: jerry jem
kenneth: ken kenny
lawrence|laurence: larry laurie
leonard: leo len lenny
leonardo: leo
louis|lewis: lou louie
peter: pete
philip|phillip: phil pip
raymond: ray
ronald: ron ronnie
russell: russ
walter: walt wally
harold: harry hal
henry: hank harry hal
howard: howie
frederick: fred freddie
alfred: al alf fred freddie
albert: al bert bertie
alan|allan|allen: al
arthur: art artie
eugene: gene
gabriel: gabe
gabriela|gabriella: gabby gabi
isabella|isabel|isabelle: bella izzy isa
jacob: jake
joshua: josh
nathaniel: nate nat nathan
nathan: nate
oliver: ollie
olivia: liv livvy
penelope: penny
rosemary: rose rosie
sarah|sara: sally sadie
stanley: stan
vincent: vince vinny
zachary: zach zack
allison|alison: ali allie
andrea: andi
angela: angie
anne|ann|anna: annie
caroline|carolyn: carrie caro
cassandra: cassie
eleanor|elinor: ellie nell nora
emily: em emmy
emma: em
evelyn: evie
florence: flo flossie
gwendolyn: gwen
helen|helena: nell ellie
jacqueline: jackie jacqui
janet: jan
janice: jan
jane: janie
joanna|joanne: jo
judith: judy jude
julia: jules
laura: laurie
lillian: lily lil
madeline|madeleine: maddie maddy
mary: molly polly mae mamie
melissa: mel missy
melanie: mel
michelle: shelly
miriam: mimi
natalie|nathalie: nat
teresa|theresa: terri tess tessa
tabitha: tabby
valerie: val
veronica: ronnie vera
vivian: viv
winifred: winnie
bradley: brad
calvin: cal
cameron: cam
clifford: cliff
curtis: curt
dennis: denny
dominic|dominick: dom
elijah: eli
ezekiel: zeke
gilbert: gil
herbert: herb bert
isaac: ike
jackson: jack
maximilian: max
maxwell: max
mitchell: mitch
montgomery: monty
norman: norm
percival: percy
randolph|randall: randy
reginald: reg reggie
rodney: rod
solomon: sol
terrence|terence: terry
tobias: toby
vernon: vern
wesley: wes
sebastian: seb
mathilda|matilda: tilly
anastasia: stacy nastya
dmitry|dmitri: dima
ekaterina|yekaterina: katya katia
ivan: vanya
mikhail: misha
nikolai|nikolay: kolya
vladimir: vova volodya
yevgeny|evgeny: zhenya
olga: olya
elena|yelena: lena
natalia|natalya: natasha
maria: masha mari
alejandro: ale jandro
guillermo: memo guille
ignacio: nacho
enrique: quique kike
jesus: chucho chuy
manuel: manolo manu
rafael: rafa
roberto: beto
alberto: beto
eduardo: lalo edu
concepcion: concha conchita
dolores: lola
guadalupe: lupe
rosario: charo
giuseppe: beppe peppe pino
giovanni: gianni
johann|johannes: hans
friedrich: fritz
heinrich: heinz
muhammad|mohammed|mohammad|mohamed|muhammed: mo
"""


def _parse(entries: str) -> dict[str, dict[str, float]]:
    related: dict[str, dict[str, float]] = {}

    def relate(a: str, b: str, penalty: float) -> None:
        if a != b:
            known = related.setdefault(a, {})
            known[b] = min(penalty, known.get(b, penalty))

    for line in entries.strip().splitlines():
        formal_part, _, short_part = line.partition(":")
        formal = [normalize_name(name) for name in formal_part.split("|")]
        short = [normalize_name(name) for name in short_part.split()]
        for a in formal:
            for b in formal + short:
                relate(a, b, NICKNAME_PENALTY)
                relate(b, a, NICKNAME_PENALTY)
        for a in short:
            for b in short:
                relate(a, b, SIBLING_PENALTY)
    return related


_RELATED: Final = {name: MappingProxyType(names) for name, names in _parse(_ENTRIES).items()}
_NOTHING: Final[Mapping[str, float]] = MappingProxyType({})


def related_given_names(name: str) -> Mapping[str, float]:
    """Names related to a normalized given name, each with the penalty its relation costs."""
    return _RELATED.get(name, _NOTHING)


def known_given_names() -> frozenset[str]:
    """Every name the table knows (for tests and the benchmark's query generator)."""
    return frozenset(_RELATED)
