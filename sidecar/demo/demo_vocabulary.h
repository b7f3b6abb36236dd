// The words the demo data is made of: the wholesaler's product catalogue,
// Nordic company and person names, contact roles, and the subjects sellers
// and customers write on cases and activities. English and Finnish mix, as in
// a real Finnish CRM.
#ifndef PULSE_SIDECAR_DEMO_DEMO_VOCABULARY_H_
#define PULSE_SIDECAR_DEMO_DEMO_VOCABULARY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "sidecar/demo/demo_random.h"

namespace pulse::demo_internal {

struct Product {
  const char* sku;
  const char* name;
  int64_t list_price_cents;  // per sales unit (box, pack, piece)
  double popularity;         // relative chance of being a regular product
};

// The catalogue of an industrial-supplies wholesaler, about sixty SKUs.
const std::vector<Product>& Catalogue();

struct Country {
  const char* code;
  double weight;
};
const std::vector<Country>& Countries();

const std::vector<const char*>& Industries();

// A company name in the style of `country_code` ("Kuopion Konepaja Oy",
// "Nordic Fasteners AB", "Virtanen, Mäkelä & Co Oy").
std::string CompanyName(DemoRandom& rng, absl::string_view country_code);

struct PersonName {
  std::string first;
  std::string last;
};
PersonName RandomPerson(DemoRandom& rng, absl::string_view country_code);

// "firstname.lastname" in lower-case ASCII (ä -> a, ö -> o, å -> a).
std::string EmailLocalPart(const PersonName& person);
// A mail domain under the reserved ".example" top-level domain, made from a
// company name, so demo data never points at a real company's mail server.
std::string EmailDomain(absl::string_view company_name);

// Contact roles; the first one is the buyer, who is the key contact.
const std::vector<const char*>& ContactRoles();

// Case categories and their subjects.
const std::vector<const char*>& CaseCategories();  // delivery, quality, invoicing, price, product_info
const std::vector<double>& CaseCategoryWeights();
const std::vector<const char*>& CaseSubjects(absl::string_view category);

// Price talk: what a customer who is shopping around says.
const std::vector<const char*>& PriceTalkSubjects();

// Subjects of a seller's logged calls, meetings, emails and notes.
const std::vector<const char*>& CallSubjects();
const std::vector<const char*>& MeetingSubjects();
const std::vector<const char*>& EmailSubjects();
const std::vector<const char*>& NoteSubjects();

// Survey comments, good and bad.
const std::vector<const char*>& PositiveComments();
const std::vector<const char*>& NegativeComments();

}  // namespace pulse::demo_internal

#endif  // PULSE_SIDECAR_DEMO_DEMO_VOCABULARY_H_
