#include "sidecar/demo/demo_vocabulary.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace pulse::demo_internal {
namespace {

template <typename T>
const T& Pick(DemoRandom& rng, const std::vector<T>& items) {
  return items[rng.PickIndex(items.size())];
}

// Finnish towns in the genitive, as they appear in company names.
const std::vector<const char*> kFinnishTownsGenitive = {
    "Kuopion",      "Tampereen",   "Oulun",         "Jyväskylän", "Lahden",    "Porin",      "Vaasan",
    "Turun",        "Espoon",      "Vantaan",       "Joensuun",   "Seinäjoen", "Rovaniemen", "Kokkolan",
    "Hämeenlinnan", "Kotkan",      "Mikkelin",      "Kajaanin",   "Raahen",    "Salon",      "Rauman",
    "Iisalmen",     "Savonlinnan", "Lappeenrannan", "Varkauden",  "Forssan",   "Nokian",     "Kemin",
    "Tornion",      "Imatran",     "Keravan",       "Hyvinkään",  "Porvoon",   "Loimaan",    "Uudenkaupungin",
    "Kuusamon",     "Kouvolan",    "Sastamalan",    "Ylivieskan", "Pieksämäen"};

const std::vector<const char*> kFinnishTrades = {"Konepaja",     "Metalli",  "Rakennus",   "Sähkö",
                                                 "Teräs",        "Putki",    "Kone",       "Huolto",
                                                 "Puu",          "Muovi",    "Kuljetus",   "Hydrauliikka",
                                                 "LVI",          "Laite",    "Tekniikka",  "Hitsaus",
                                                 "Asennus",      "Peltityö", "Automaatio", "Kiinteistöhuolto",
                                                 "Maanrakennus", "Saha",     "Valimo",     "Koneistus"};

const std::vector<const char*> kNordicPrefixes = {
    "Nordic",  "Baltic",  "Scandi", "Arctic", "Polar",    "Boreal",       "Fjord",  "Aurora",
    "Lapland", "Karelia", "Botnia", "Saimaa", "Northern", "Midnight Sun", "Tundra", "Birch"};

const std::vector<const char*> kEnglishTrades = {
    "Fasteners",    "Steel",      "Tools",       "Hydraulics",
    "Machining",    "Components", "Engineering", "Industrial Service",
    "Logistics",    "Welding",    "Automation",  "Marine",
    "Construction", "Electric",   "Pumps",       "Bearings",
    "Plastics",     "Timber",     "Energy",      "Mining Supply",
    "Agro",         "Foods",      "Packaging",   "Cranes"};

const std::vector<const char*> kFinnishFirstNames = {
    "Matti",  "Timo",  "Juha",  "Mikko", "Jari",    "Antti", "Jukka",  "Mika",     "Markku", "Pekka",
    "Heikki", "Janne", "Ville", "Sami",  "Tuomas",  "Eero",  "Lauri",  "Anna",     "Maria",  "Tiina",
    "Sari",   "Päivi", "Minna", "Katja", "Johanna", "Laura", "Riikka", "Hanna",    "Elina",  "Satu",
    "Merja",  "Kaisa", "Aino",  "Sanna", "Outi",    "Jenni", "Tuula",  "Marjatta", "Leena",  "Jyrki"};

const std::vector<const char*> kFinnishLastNames = {
    "Korhonen",    "Virtanen", "Mäkinen",  "Nieminen",   "Mäkelä",   "Hämäläinen", "Laine",       "Heikkinen",
    "Koskinen",    "Järvinen", "Lehtonen", "Lehtinen",   "Saarinen", "Salminen",   "Heinonen",    "Niemi",
    "Heikkilä",    "Kinnunen", "Salonen",  "Turunen",    "Salo",     "Laitinen",   "Tuominen",    "Rantanen",
    "Karjalainen", "Jokinen",  "Mattila",  "Savolainen", "Lahtinen", "Ahonen",     "Pesonen",     "Hiltunen",
    "Räsänen",     "Väisänen", "Leinonen", "Miettinen",  "Aaltonen", "Pitkänen",   "Lappalainen", "Kettunen"};

const std::vector<const char*> kSwedishFirstNames = {
    "Erik", "Lars", "Anders", "Johan", "Per",  "Karl",   "Nils",   "Magnus", "Fredrik", "Oskar",
    "Anna", "Eva",  "Karin",  "Sara",  "Emma", "Ingrid", "Linnea", "Maja",   "Sofia",   "Elsa"};

const std::vector<const char*> kSwedishLastNames = {
    "Andersson", "Johansson",  "Karlsson",  "Nilsson", "Eriksson", "Larsson",  "Olsson", "Persson",
    "Svensson",  "Gustafsson", "Lindqvist", "Berg",    "Holm",     "Lund",     "Strand", "Sjöberg",
    "Hansen",    "Johansen",   "Olsen",     "Nielsen", "Jensen",   "Pedersen", "Dahl",   "Bakken"};

const std::vector<const char*> kEstonianFirstNames = {"Kristjan", "Marek", "Andres", "Tõnu", "Kadri",
                                                      "Liis",     "Kati",  "Mart",   "Riho", "Piret"};
const std::vector<const char*> kEstonianLastNames = {"Tamm", "Saar",   "Sepp",  "Mägi", "Kask",
                                                     "Kukk", "Rebane", "Ilves", "Pärn", "Koppel"};

const std::vector<Product> kCatalogue = {
    {"SKU-1001", "Hex bolt M8x40 zinc (100 pcs)", 1890, 5},
    {"SKU-1002", "Hex bolt M10x50 zinc (100 pcs)", 2650, 4},
    {"SKU-1003", "Hex bolt M12x60 hot-dip galv. (50 pcs)", 3120, 3},
    {"SKU-1004", "Hex nut M8 zinc (200 pcs)", 990, 5},
    {"SKU-1005", "Hex nut M10 zinc (200 pcs)", 1290, 4},
    {"SKU-1006", "Washer M8 DIN 125 (500 pcs)", 1150, 4},
    {"SKU-1007", "Socket cap screw M6x20 A2 (100 pcs)", 1590, 3},
    {"SKU-1008", "Wood screw 5x60 Torx (200 pcs)", 2490, 4},
    {"SKU-1009", "Anchor bolt M12x120 (25 pcs)", 4350, 2},
    {"SKU-1010", "Threaded rod M10 1 m (10 pcs)", 2280, 2},
    {"SKU-1011", "Kiila-ankkuri M10x90 (50 kpl)", 3890, 2},
    {"SKU-1012", "Rivet nut M6 steel (250 pcs)", 3490, 2},
    {"SKU-1020", "Cutting disc 125x1.0 mm (25 pcs)", 3290, 5},
    {"SKU-1021", "Flap disc 125 mm P80 (10 pcs)", 2790, 4},
    {"SKU-1022", "HSS drill bit set 1-10 mm", 4590, 3},
    {"SKU-1023", "SDS-plus drill 10x160", 690, 3},
    {"SKU-1024", "Hole saw 68 mm bi-metal", 2190, 2},
    {"SKU-1025", "Torque wrench 20-100 Nm", 16900, 1},
    {"SKU-1026", "Cordless drill 18V, 2 batteries", 28900, 1},
    {"SKU-1027", "Angle grinder 125 mm 1200W", 12900, 1},
    {"SKU-1028", "Socket set 1/2\" 24 pcs", 8900, 1},
    {"SKU-1029", "Bandsaw blade 2362x20 bi-metal", 4790, 2},
    {"SKU-1030", "Nitrile gloves, size 9 (100 pcs)", 1290, 5},
    {"SKU-1031", "Cut-resistant gloves level C (12 pairs)", 6490, 3},
    {"SKU-1032", "Safety glasses clear (10 pcs)", 3490, 3},
    {"SKU-1033", "Ear plugs SNR 37 (200 pairs)", 4290, 2},
    {"SKU-1034", "Hi-vis vest EN ISO 20471 (10 pcs)", 4990, 2},
    {"SKU-1035", "Safety shoe S3, size 43", 8900, 2},
    {"SKU-1036", "Kypärä, valkoinen", 1890, 2},
    {"SKU-1037", "FFP3 respirator mask (20 pcs)", 5890, 3},
    {"SKU-1040", "Hydraulic hose 1/2\" 2SN per m", 1450, 2},
    {"SKU-1041", "Hydraulic oil ISO VG 46, 20 l", 8990, 3},
    {"SKU-1042", "Quick coupling ISO-A 1/2\"", 1990, 2},
    {"SKU-1043", "O-ring kit NBR 382 pcs", 3690, 2},
    {"SKU-1044", "Grease EP2 lithium 400 g (12 pcs)", 5390, 3},
    {"SKU-1045", "Chain oil 5 l", 2990, 2},
    {"SKU-1046", "Ball bearing 6204-2RS (10 pcs)", 3290, 3},
    {"SKU-1047", "V-belt SPA 1250", 1590, 2},
    {"SKU-1048", "Roller chain 08B-1, 5 m", 4490, 1},
    {"SKU-1050", "Welding wire SG2 1.0 mm 15 kg", 5690, 3},
    {"SKU-1051", "Stick electrode E7018 3.2 mm 5 kg", 4890, 2},
    {"SKU-1052", "Shielding gas nozzle (10 pcs)", 1790, 2},
    {"SKU-1053", "Hitsausmaski, automaattinen", 12900, 1},
    {"SKU-1054", "TIG tungsten electrode 2.4 mm (10 pcs)", 2590, 1},
    {"SKU-1060", "Cable tie 4.8x300 black (100 pcs)", 690, 4},
    {"SKU-1061", "Installation cable MMJ 3x2.5S, 100 m", 14900, 2},
    {"SKU-1062", "LED work light 50W IP65", 6990, 1},
    {"SKU-1063", "Heat shrink tube kit 127 pcs", 1490, 2},
    {"SKU-1064", "Jatkojohto 10 m, 3-osainen", 2490, 2},
    {"SKU-1070", "Industrial wipes roll 1000 sheets", 3190, 4},
    {"SKU-1071", "Degreaser spray 500 ml (12 pcs)", 4190, 3},
    {"SKU-1072", "Hand cleaner 2.5 l", 1390, 3},
    {"SKU-1073", "Absorbent pads 50x40 cm (100 pcs)", 5990, 2},
    {"SKU-1074", "Penetrating oil 400 ml (12 pcs)", 3890, 3},
    {"SKU-1080", "Marking spray, orange (12 pcs)", 4690, 2},
    {"SKU-1081", "Duct tape 50 mm x 50 m (6 pcs)", 2590, 3},
    {"SKU-1082", "Threadlocker medium 50 ml", 1690, 3},
    {"SKU-1083", "Silicone sealant, clear 310 ml (12 pcs)", 5490, 2},
    {"SKU-1084", "Pallet wrap 500 mm x 300 m (6 rolls)", 7490, 2},
    {"SKU-1085", "Ratchet strap 5 t, 8 m (4 pcs)", 5990, 2},
};

const std::vector<Country> kCountries = {{"FI", 70}, {"SE", 15}, {"NO", 6}, {"EE", 5}, {"DK", 4}};

const std::vector<const char*> kIndustries = {"Manufacturing",   "Construction", "Maintenance", "Energy",
                                              "Agriculture",     "Forestry",     "Transport",   "Marine",
                                              "Food processing", "Mining",       "Metal",       "Facilities"};

const std::vector<const char*> kRoles = {"Purchasing Manager", "Ostopäällikkö",      "CEO",
                                         "Toimitusjohtaja",    "Production Manager", "Tuotantopäällikkö",
                                         "Maintenance Lead",   "Accounts Payable",   "Warehouse Supervisor",
                                         "Site Manager",       "Työnjohtaja"};

const std::vector<const char*> kCaseCategories = {"delivery", "quality", "invoicing", "price",
                                                  "product_info"};
const std::vector<double> kCaseCategoryWeights = {35, 20, 25, 8, 12};

const std::vector<const char*> kDeliverySubjects = {"Late delivery",
                                                    "Toimitus myöhässä",
                                                    "Wrong items delivered",
                                                    "Missing parts in shipment",
                                                    "Puuttuvia rivejä toimituksessa",
                                                    "Damaged package",
                                                    "Delivery to wrong address",
                                                    "Where is order \"urgent\"?",
                                                    "Backorder status, again"};
const std::vector<const char*> kQualitySubjects = {"Defective batch",
                                                   "Laatupoikkeama",
                                                   "Corroded bolts in delivery",
                                                   "Gloves tear easily",
                                                   "Viallinen tuote, palautus",
                                                   "Bearings noisy, replacement needed",
                                                   "Wrong thread pitch"};
const std::vector<const char*> kInvoicingSubjects = {
    "Invoice error",           "Laskussa virhe",      "Duplicate invoice",
    "Wrong VAT on invoice",    "Credit note missing", "Maksumuistutus, vaikka maksettu",
    "E-invoice address change"};
const std::vector<const char*> kPriceSubjects = {"Asking for a discount", "Hintapyyntö / alennus",
                                                 "Competitor offered lower price", "Price increase, why?",
                                                 "Volume discount for 2 years, possible?"};
const std::vector<const char*> kProductInfoSubjects = {
    "Datasheet request", "Tuotetietoa pyydetään", "Replacement for discontinued item", "Is SKU in stock?",
    "Safety data sheet, latest version"};

const std::vector<const char*> kPriceTalk = {"Asking for a discount", "Hintapyyntö / alennus",
                                             "Competitor offered lower price",
                                             "Price comparison, they got a better quote"};

const std::vector<const char*> kCallSubjects = {
    "Follow-up on quote",      "Tarjouksen seuranta", "Checking stock needs", "Seasonal order planning",
    "Soitto: täydennystilaus", "Reorder reminder",    "Delivery schedule",    "Toimitusaikataulu"};
const std::vector<const char*> kMeetingSubjects = {"Quarterly review",
                                                   "Vuosisopimusneuvottelu",
                                                   "Site visit, production line",
                                                   "Product demo: cordless tools",
                                                   "Tapaaminen: hinnasto 2025",
                                                   "Annual agreement review"};
const std::vector<const char*> kEmailSubjects = {
    "Price list attached",  "Hinnasto liitteenä", "Order confirmation", "Tilausvahvistus",
    "New products, spring", "Re: delivery times", "Quote Q-2231"};
const std::vector<const char*> kNoteSubjects = {
    "Customer prefers deliveries on Tuesdays", "Huom: laskutus e-laskuna", "Met at trade fair",
    "Budget approved for next quarter", "Changing warehouse address, \"Varasto 2\""};

const std::vector<const char*> kPositiveComments = {"",
                                                    "",
                                                    "Nopea toimitus, kiitos!",
                                                    "Good service, fast deliveries",
                                                    "Helppo tilata, hyvä valikoima",
                                                    "Always in stock",
                                                    "Fast answers, friendly staff",
                                                    "Toimii hyvin"};
const std::vector<const char*> kNegativeComments = {"",
                                                    "Deliveries late again",
                                                    "Prices went up, service did not",
                                                    "Liian kallis, kilpailija halvempi",
                                                    "Nobody called back",
                                                    "Quality problems, \"again\"",
                                                    "Laskutus sekaisin, korjatkaa"};

// Nordic letters to ASCII, lower case, letters and digits only.
std::string FoldToAscii(absl::string_view text) {
  const std::string folded = absl::StrReplaceAll(text, {{"ä", "a"},
                                                        {"Ä", "a"},
                                                        {"ö", "o"},
                                                        {"Ö", "o"},
                                                        {"å", "a"},
                                                        {"Å", "a"},
                                                        {"õ", "o"},
                                                        {"Õ", "o"},
                                                        {"ü", "u"},
                                                        {"Ü", "u"}});
  std::string out;
  out.reserve(folded.size());
  for (char c : folded) {
    const unsigned char uc = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(uc)) out.push_back(absl::ascii_tolower(uc));
  }
  return out;
}

}  // namespace

const std::vector<Product>& Catalogue() { return kCatalogue; }
const std::vector<Country>& Countries() { return kCountries; }
const std::vector<const char*>& Industries() { return kIndustries; }
const std::vector<const char*>& ContactRoles() { return kRoles; }
const std::vector<const char*>& CaseCategories() { return kCaseCategories; }
const std::vector<double>& CaseCategoryWeights() { return kCaseCategoryWeights; }
const std::vector<const char*>& PriceTalkSubjects() { return kPriceTalk; }
const std::vector<const char*>& CallSubjects() { return kCallSubjects; }
const std::vector<const char*>& MeetingSubjects() { return kMeetingSubjects; }
const std::vector<const char*>& EmailSubjects() { return kEmailSubjects; }
const std::vector<const char*>& NoteSubjects() { return kNoteSubjects; }
const std::vector<const char*>& PositiveComments() { return kPositiveComments; }
const std::vector<const char*>& NegativeComments() { return kNegativeComments; }

const std::vector<const char*>& CaseSubjects(absl::string_view category) {
  if (category == "delivery") return kDeliverySubjects;
  if (category == "quality") return kQualitySubjects;
  if (category == "invoicing") return kInvoicingSubjects;
  if (category == "price") return kPriceSubjects;
  return kProductInfoSubjects;
}

PersonName RandomPerson(DemoRandom& rng, absl::string_view country_code) {
  if (country_code == "FI") {
    // Finland has a Swedish-speaking minority.
    if (rng.Bernoulli(0.06)) return {Pick(rng, kSwedishFirstNames), Pick(rng, kSwedishLastNames)};
    return {Pick(rng, kFinnishFirstNames), Pick(rng, kFinnishLastNames)};
  }
  if (country_code == "EE") return {Pick(rng, kEstonianFirstNames), Pick(rng, kEstonianLastNames)};
  return {Pick(rng, kSwedishFirstNames), Pick(rng, kSwedishLastNames)};
}

std::string CompanyName(DemoRandom& rng, absl::string_view country_code) {
  const char* form = "Oy";
  if (country_code == "SE") form = "AB";
  if (country_code == "NO" || country_code == "DK") form = "AS";
  if (country_code == "EE") form = "OÜ";
  const double u = rng.Uniform();
  if (country_code == "FI") {
    if (u < 0.45) {
      const char* suffix = rng.Bernoulli(0.85) ? "Oy" : (rng.Bernoulli(0.5) ? "Ky" : "Oy Ab");
      return absl::StrCat(Pick(rng, kFinnishTownsGenitive), " ", Pick(rng, kFinnishTrades), " ", suffix);
    }
    if (u < 0.65) return absl::StrCat(Pick(rng, kFinnishLastNames), " ", Pick(rng, kFinnishTrades), " Oy");
    if (u < 0.72) {
      return absl::StrCat(Pick(rng, kFinnishTrades), " ", Pick(rng, kFinnishLastNames),
                          rng.Bernoulli(0.5) ? " Ky" : " Tmi");
    }
    if (u < 0.78) {
      // A comma in the name: the CSV must quote it.
      return absl::StrCat(Pick(rng, kFinnishLastNames), ", ", Pick(rng, kFinnishLastNames), " & Co Oy");
    }
    return absl::StrCat(Pick(rng, kNordicPrefixes), " ", Pick(rng, kEnglishTrades), " Oy");
  }
  if (u < 0.6) return absl::StrCat(Pick(rng, kNordicPrefixes), " ", Pick(rng, kEnglishTrades), " ", form);
  if (country_code == "EE") {
    return absl::StrCat(Pick(rng, kEstonianLastNames), " ", Pick(rng, kEnglishTrades), " ", form);
  }
  return absl::StrCat(Pick(rng, kSwedishLastNames), " ", Pick(rng, kEnglishTrades), " ", form);
}

std::string EmailLocalPart(const PersonName& person) {
  return absl::StrCat(FoldToAscii(person.first), ".", FoldToAscii(person.last));
}

std::string EmailDomain(absl::string_view company_name) {
  std::string domain;
  for (absl::string_view word : absl::StrSplit(company_name, ' ', absl::SkipEmpty())) {
    const std::string folded = FoldToAscii(word);
    if (folded.empty() || folded == "oy" || folded == "ab" || folded == "as" || folded == "ou" ||
        folded == "ky" || folded == "tmi" || folded == "co") {
      continue;
    }
    if (!domain.empty()) domain.push_back('-');
    domain += folded;
  }
  if (domain.empty()) domain = "customer";
  return absl::StrCat(domain, ".example");
}

}  // namespace pulse::demo_internal
