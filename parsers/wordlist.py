"""A small English word list for the two decisions the document's own vocabulary cannot settle.

Used by `normalise.py` only: is a line-end "X-" + "y" a compound ("well-being") or a split word
("develop-ment"), and is "Amer ica" one word torn apart by justified spacing. Lower case; the
words that General Assembly texts on migration and development use, plus common English.
"""

from __future__ import annotations

_WORDS = """
a able about above abroad abuse access accordance according account accountability achieve
achievement acknowledge acknowledged across act action actions active activities activity actors
adapt adaptation add addition additional address addressed addressing adequate adjust adopt
adopted adoption adult adults advance advanced advancement advantage advantages adverse affair
affairs affect affected affecting affordable africa african after again against age agencies
agency agenda agents ago agree agreed agreement agreements agriculture aid aim aimed aims air
alarmed all allow allowed almost alone along already also alternative although always am america
american americas among amount an analysis and annex annual another answer any anyone anything
appeal appear application applied apply appreciation approach approaches appropriate approval
arab are area areas arise arising around arrangement arrangements arrival as asia asian aspect
aspects assembly assess assessment assistance associated association asylum at attention
attract attractive authorities authority availability available average avoid aware awareness
away back background balance balanced based basic basis be became because become becoming been
before began begin beginning behalf behind being beings believe below benefit benefits best
better between beyond bilateral billion birth board bodies body border borders both bound brain
bring broad broader budget build building built burden business but by call called calls camp
can cannot capacities capacity capital care career caribbean carried case cases categories
cause caused causes central centre centres certain chain chair challenge challenges change
changes channels character charge charter chief child childhood children choice circular
citizens citizenship civil claims class clear climate close closely code codes collaboration
collect collection collective combat come coming commission commitment commitments committee
common communication communities community companies comparable compensation complete complex
complementary compliance component components comprehensive concern concerned concerning
concerns concrete condition conditions conduct conference conferences conflict conflicts
consensus consequence consequences consider consideration considered consistent constitute
constructive consular consultation consultations consultative contact context continue
continued continuing contribute contributed contribution contributions control convened
convention conventions cooperation coordinated coordination core corporate cost costs could
council councils counter countries country course court courts cover coverage create created
creation credentials credit crime crimes crisis criteria critical cross cultural culture current
currently data day days deal death debate decade decent decide decided decision decisions
declaration decline decrease deeply defined degradation delegations deliver delivery demand
demographic department departure dependency deport deportation deprivation describe design
designed desire despite destination detention determine determined develop developed developing
development developments diaspora diasporas dignity direct direction director disability
disaster disasters discrimination discuss discussed discussion discussions displaced
displacement distribution diverse diversity do document documentation documents domestic done
donor donors down draft drawn driven drivers drug due during duty each early earned earnings
east eastern economic economics economies economy education educational effect effective
effectively effects efficient effort efforts either elderly elected element elements
eliminate emergency emigration emphasis emphasize emphasized employer employers employment
empower empowerment enable enabling encourage encouraged end ending energy enforcement engage
engagement enhance enhanced enhancing enjoy enough ensure ensuring enter entitled entities entity
entrepreneurs entrepreneurship entry environment environmental equal equality equitable
especially essential establish established establishment ethical europe european evaluation
even evidence exchange existing expand expected experience experiences expert expertise experts
exploitation expressed extend extent face facilitate facilitating facilities fact factors
fair families family far federation female few field fight final finance financial first fiscal
five flexible flow flows focus focused follow followed following food for force forced forces
foreign form formal forms forum forward foster found four framework frameworks free freedom
freedoms from full fully function functions fund funding funds further furthermore future gain
gains gap gaps gender general generally generate generation given global globalization goal
goals good goods governance government governments grave great greater group groups growing
growth guidance guidelines had half hand has have having he health heads help her here high
higher highly his historic home host house household households housing how however human
humanitarian humans identify identity if illegal impact impacts implement implementation
implemented importance important improve improved improvement improving in incentives include
included includes including inclusion inclusive income increase increased increasing
increasingly independent indicators indigenous individual individuals inequality informal
information infrastructure initiative initiatives input insecurity institution institutional
institutions instruments integrated integration intergovernmental internal international
internationally into introduce investment investments invite involve involvement irregular is
issue issues it its itself job jobs joint just justice key kind knowledge known labour lack land
language large last latin law laws lead leaders leadership leading least led legal legislation
less lessons level levels life like likely limited line link linked links literacy little live
lives living local long loss low made main maintain major make making male manage management
mandate manner many market markets matter may means measure measures mechanism mechanisms media
medium meet meeting meetings member members men mental middle migrant migrants migrate migrated
migration migratory million minimum minister ministers minors mobility model modern monitor
monitoring more moreover most movement movements much multilateral must mutual national
nationality nationals nations natural nature near necessary need needed needs negative
negotiated neither network networks new next no non none nor normal north northern not note
noted nothing notion now number numbers object objective objectives obligation obligations
observed obstacles occupational of off offer office officials often old on one ongoing only open
operation operational opportunities opportunity or order orderly organization organizations
organized origin other others our out outcome outcomes outside over overall own pacific paid
panel paragraph part participants participate participation particular particularly
partners partnership partnerships parts party pass past path pay peace pension pensions people
per percentage period permanent persecution person personal personnel persons perspective
phenomenon place places plan planning plans platform play plenary point points policies policy
political poor population populations portability position positive possible post potential
poverty power powers practical practice practices pre precarious present president prevent
prevention primary principle principles priorities priority private problem problems procedure
procedures process processes produce production productive professional professionals
programme programmes progress project projects promote promoted promoting promotion protect
protected protecting protection provide provided provision provisions public purpose purposes
qualifications quality question questions race racial racism raise range rate rates rather
ratification ratify reach read ready real recent recognition recognize recognized recognizing
recommendation recommendations record recovery recruitment reduce reduced reducing reduction
refugee refugees regard regarding regardless region regional regions register regular
regulation regulations reinforce related relating relation relations relationship relevant
remain remaining remains remittance remittances report reports representative representatives
request requested require required requirements research reside residence resident residents
resilience resolution resolutions resource resources respect respective response
responsibilities responsibility responsible rest result results return returned returnees
returning review right rights risk risks role round rule rules rural safe safety same scale
school science scope sea seasonal second secretariat secretary section sector sectors secure
security see seek seeking self sending sense series serious serve service services session set
setting settings several sexual shall share shared sharing she short should side significant
similar since situation situations six skill skilled skills small smuggling so social societies
society solidarity solution solutions some source south southern special specific stability
staff stage stakeholder stakeholders standard standards state statement statements states
statistical statistics status stay still strategic strategies strategy strengthen strengthened
strengthening stress stressed strong structural structure structures student students study
sub subject submit submitted substantive success successful such suggestions summary support
supported supporting sustainable system systems take taken taking target targets tax technical
technology temporary term terms territory than that the their them themselves then there
therefore these they third this those though threat three through throughout thus time timely
to together tool tools total towards trade traditional trafficking training transfer transit
transition transitional transnational transparency transparent transport treaty trends trust two
type types under underlying understand understanding unemployment union united universal unless
until up upon urban urge urged urges us use used useful using value values various very victims
view views violence violations visa visas voluntary vulnerabilities vulnerability vulnerable
wage wages want war was way ways we wealth welcome welcomed welcomes welfare well were west
western what when where whether which while who whole whom whose why wide widespread will wish
with within without woman women work worked workers working world worldwide would year years
yet young youth
africa america americas asia europe oceania caribbean latin mediterranean geneva york
conference conferences nations secretariat assembly declaration agenda millennium compact
participant participating representative commissioner commissioners rapporteur
best level well being beings high low long short full part time wide world scale based led
owned run made like free cost end term top level middle income sized related specific oriented
making building sharing keeping bound wide
everyone everything everywhere someone something sometimes somewhere anyone anything anywhere
nevertheless nonetheless notwithstanding whereas whereby herewith hereby thereof therein
inter intra multi socio ethno counter
one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty sixty
seventy eighty ninety hundred thousand first second third fourth fifth sixth seventh eighth
ninth tenth eleventh twelfth
resistant related based sensitive friendly specific oriented driven responsive
about above across after afterwards again against ago all almost alone along already also
although always among amongst an and another any anybody anyhow anyone anything anyway
anywhere are around as ask asked at away back be became because become becomes been before
beforehand behind being below beside besides between beyond both but by came can cannot could
did do does doing done down during each either else elsewhere enough even ever every
everybody few for former formerly from gave get gets give given gives go goes going gone got
had has have he hence her here hers herself him himself his how however i if in indeed instead
into is it its itself just keep kept know known last latter least less let lot made make makes
many may me meanwhile might mine more most mostly much must my myself namely neither never
next no nobody none noone nor not nothing now nowhere of off often on once one only onto or
other others otherwise our ours ourselves out over own per perhaps please put quite rather
really said same say says see seem seemed seems seen several shall she should show shown
since so some somehow still such take taken than that the their theirs them themselves then
thence there thereafter thereby therefore these they thing things this those though through
thru thus to together too took toward towards under unless until up upon us used very via was
way we well went were what whatever when whence whenever where whereafter wherever whether
which while whither who whoever whole whom whose why will with within without would yet you
your yours yourself came come comes ran run runs said say went take took found find finds
held hold holds led lead leads left meant means met paid put read saw sent set shown stood
told thought understood won wrote written able ago best better big certain clear early easy
free full great hard high human large late little local long low main major more new old
open past possible real recent right short small special strong sure true whole wide young
today tomorrow yesterday year week month day night morning evening hour minute
room house city town country world state way part place case point group problem fact hand
eye life child woman man people family home water money book word number story question
name side kind head service friend power end member law car city community president team
minute idea body information back parent face others level office door health person art war
history party result change morning reason research girl guy moment air teacher force
education foot boy age policy everything process music market sense nation plan college
interest death experience effect class control care field development role effort rate heart
drug show leader light voice police mind price report decision son view relationship town
road arm difference thank value building action model season society tax director position
player record paper space ground form event official matter center couple site project
activity star table need court oil situation cost industry figure street image phone data
picture practice piece land product doctor wall patient worker news test movie north love
support technology step baby computer type attention film tree source organization hair
window evidence population site ability quality summary element economy concept hospital
"""

WORDS: frozenset[str] = frozenset(_WORDS.split())

# Heads that keep their hyphen at a line end even when the joined form is unknown
# ("co-" + "development", "non-" + "governmental").
PREFIXES: frozenset[str] = frozenset(
    [
        "anti", "co", "counter", "cross", "ex", "extra", "inter", "intra", "macro", "micro", "mid",
        "multi", "neo", "non", "over", "post", "pre", "pro", "quasi", "re", "self", "semi", "socio",
        "sub", "super", "trans", "ultra", "under", "vice",
    ]
)

# "low- and middle-income": a suspended hyphen keeps its space before these.
SUSPENDED_NEXT: frozenset[str] = frozenset({"and", "or", "to", "nor", "as"})
