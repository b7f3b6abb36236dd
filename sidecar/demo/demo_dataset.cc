// WriteDemoDataset: the demo data as the CSV files Pulse's file adapter and
// the CLI read, streamed account by account.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "sidecar/demo/demo_data.h"
#include "sidecar/demo/demo_format.h"

namespace pulse {
namespace {

using demo_internal::AppendCents;
using demo_internal::AppendCsvField;
using demo_internal::AppendIsoDay;
using demo_internal::AppendIsoTime;

enum FileIndex {
  kUsers = 0,
  kAccounts,
  kContacts,
  kOrders,
  kOrderLines,
  kCases,
  kActivities,
  kEngagement,
  kFeedback,
  kTruth,
  kFileCount
};

struct FileSpec {
  const char* name;
  const char* header;
};

constexpr FileSpec kFiles[kFileCount] = {
    {"users.csv", "id,name,email,active,weekly_capacity"},
    {"accounts.csv", "id,name,owner_id,industry,country,created_at,tier,do_not_contact"},
    {"contacts.csv", "id,account_id,name,email,role,active,updated_at"},
    {"orders.csv", "id,account_id,ordered_at,amount,currency"},
    {"order_lines.csv", "order_id,sku,product,quantity,amount"},
    {"cases.csv", "id,account_id,opened_at,first_response_at,closed_at,status,category,priority,subject"},
    {"activities.csv", "id,account_id,type,direction,occurred_at,user_id,subject"},
    {"engagement.csv", "account_id,period_start,sent,opened,clicked"},
    {"feedback.csv", "account_id,received_at,score,scale,comment"},
    {"demo_truth.csv", "account_id,scenario,fade_start"},
};

constexpr size_t kFlushBytes = 1 << 20;

int64_t ToCents(double amount) { return std::llround(amount * 100); }
int64_t DayNumber(absl::CivilDay d) { return d - absl::CivilDay(1970, 1, 1); }

// One CSV file being written under a temporary name. Rows are built in a
// buffer that is flushed every megabyte.
class CsvFile {
 public:
  CsvFile(std::string path, absl::string_view header) : path_(std::move(path)), temp_path_(path_ + ".tmp") {
    buffer_.reserve(kFlushBytes + 4096);
    buffer_.append(header.data(), header.size());
    buffer_.push_back('\n');
  }
  CsvFile(const CsvFile&) = delete;
  CsvFile& operator=(const CsvFile&) = delete;
  ~CsvFile() {
    if (file_ != nullptr) {
      std::fclose(file_);
      std::remove(temp_path_.c_str());
    }
  }

  absl::Status Open() {
    file_ = std::fopen(temp_path_.c_str(), "wb");
    if (file_ == nullptr) {
      return absl::InternalError(absl::StrCat("cannot create ", temp_path_, ": ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }

  CsvFile& Text(absl::string_view field) {
    Separate();
    AppendCsvField(field, &buffer_);
    return *this;
  }
  CsvFile& Int(int64_t value) {
    Separate();
    absl::StrAppend(&buffer_, value);
    return *this;
  }
  CsvFile& Bool(bool value) { return Text(value ? "true" : "false"); }
  CsvFile& Cents(int64_t cents) {
    Separate();
    AppendCents(cents, &buffer_);
    return *this;
  }
  // Whole numbers as integers; anything else with three decimals.
  CsvFile& Number(double value) {
    Separate();
    if (value == std::floor(value) && std::fabs(value) < 1e15) {
      absl::StrAppend(&buffer_, static_cast<int64_t>(value));
    } else {
      char text[64];
      std::snprintf(text, sizeof(text), "%.3f", value);
      buffer_ += text;
    }
    return *this;
  }
  CsvFile& Time(absl::Time t) {
    Separate();
    AppendIsoTime(absl::ToUnixSeconds(t), &buffer_);
    return *this;
  }
  CsvFile& Time(const std::optional<absl::Time>& t) {
    if (!t.has_value()) return Text("");
    return Time(*t);
  }
  CsvFile& Day(absl::CivilDay d) {
    Separate();
    AppendIsoDay(DayNumber(d), &buffer_);
    return *this;
  }

  absl::Status EndRow() {
    buffer_.push_back('\n');
    row_started_ = false;
    ++rows_;
    return buffer_.size() >= kFlushBytes ? Flush() : absl::OkStatus();
  }

  // Flushes, closes and renames the file into place.
  absl::Status Finish() {
    if (absl::Status s = Flush(); !s.ok()) return s;
    const int closed = std::fclose(file_);
    file_ = nullptr;
    if (closed != 0) {
      std::remove(temp_path_.c_str());
      return absl::InternalError(absl::StrCat("cannot write ", temp_path_, ": ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }
  absl::Status Publish() {
    std::error_code ec;
    std::filesystem::rename(temp_path_, path_, ec);
    if (ec)
      return absl::InternalError(
          absl::StrCat("cannot rename ", temp_path_, " to ", path_, ": ", ec.message()));
    return absl::OkStatus();
  }
  void Discard() { std::remove(temp_path_.c_str()); }

  int64_t rows() const { return rows_; }

 private:
  void Separate() {
    if (row_started_) buffer_.push_back(',');
    row_started_ = true;
  }
  absl::Status Flush() {
    if (!buffer_.empty() && std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
      return absl::InternalError(absl::StrCat("cannot write ", temp_path_, ": ", std::strerror(errno)));
    }
    buffer_.clear();
    return absl::OkStatus();
  }

  std::string path_;
  std::string temp_path_;
  std::FILE* file_ = nullptr;
  std::string buffer_;
  bool row_started_ = false;
  int64_t rows_ = 0;
};

// Streams the generated records into the ten files.
class DatasetSink : public DemoRecordSink {
 public:
  DatasetSink(std::vector<std::unique_ptr<CsvFile>>* files, DemoSummary* summary, const DemoAccountTransform* transform)
      : f_(*files), summary_(summary), transform_(transform) {}

  absl::Status AddUsers(const std::vector<User>& users, const std::vector<std::string>& pool_user_ids,
                        const std::string& departed_user_id) override {
    summary_->pool_user_ids = pool_user_ids;
    summary_->departed_user_id = departed_user_id;
    CsvFile& out = *f_[kUsers];
    for (const User& u : users) {
      out.Text(u.id).Text(u.name).Text(u.email).Bool(u.active);
      if (u.weekly_capacity.has_value()) {
        out.Int(*u.weekly_capacity);
      } else {
        out.Text("");
      }
      if (absl::Status s = out.EndRow(); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status AddAccount(DemoAccountRecords* records) override {
    if (*transform_) (*transform_)(records);
    const DemoAccountRecords& r = *records;
    const Account& a = r.account;
    ++summary_->accounts_by_scenario[std::string(DemoScenarioName(r.truth.scenario))];
    f_[kAccounts]
        ->Text(a.id)
        .Text(a.name)
        .Text(a.owner_id)
        .Text(a.industry)
        .Text(a.country)
        .Time(a.created_at)
        .Text(TierName(a.crm_tier))
        .Bool(a.do_not_contact);
    if (absl::Status s = f_[kAccounts]->EndRow(); !s.ok()) return s;
    for (const Contact& c : r.contacts) {
      f_[kContacts]
          ->Text(c.id)
          .Text(c.account_id)
          .Text(c.name)
          .Text(c.email)
          .Text(c.role)
          .Bool(c.active)
          .Time(c.updated_at);
      if (absl::Status s = f_[kContacts]->EndRow(); !s.ok()) return s;
    }
    for (const Order& o : r.orders) {
      f_[kOrders]->Text(o.id).Text(o.account_id).Time(o.ordered_at).Cents(ToCents(o.amount)).Text(o.currency);
      if (absl::Status s = f_[kOrders]->EndRow(); !s.ok()) return s;
      for (const OrderLine& l : o.lines) {
        f_[kOrderLines]->Text(o.id).Text(l.sku).Text(l.product).Number(l.quantity).Cents(ToCents(l.amount));
        if (absl::Status s = f_[kOrderLines]->EndRow(); !s.ok()) return s;
      }
    }
    for (const Case& c : r.cases) {
      f_[kCases]
          ->Text(c.id)
          .Text(c.account_id)
          .Time(c.opened_at)
          .Time(c.first_response_at)
          .Time(c.closed_at)
          .Text(c.status)
          .Text(c.category)
          .Text(c.priority)
          .Text(c.subject);
      if (absl::Status s = f_[kCases]->EndRow(); !s.ok()) return s;
    }
    for (const Activity& x : r.activities) {
      f_[kActivities]
          ->Text(x.id)
          .Text(x.account_id)
          .Text(ActivityTypeName(x.type))
          .Text(DirectionName(x.direction))
          .Time(x.occurred_at)
          .Text(x.user_id)
          .Text(x.subject);
      if (absl::Status s = f_[kActivities]->EndRow(); !s.ok()) return s;
    }
    for (const EngagementPeriod& e : r.engagement) {
      f_[kEngagement]->Text(e.account_id).Day(e.period_start).Int(e.sent).Int(e.opened).Int(e.clicked);
      if (absl::Status s = f_[kEngagement]->EndRow(); !s.ok()) return s;
    }
    for (const Feedback& x : r.feedback) {
      f_[kFeedback]
          ->Text(x.account_id)
          .Time(x.received_at)
          .Number(x.score)
          .Text(FeedbackScaleName(x.scale))
          .Text(x.comment);
      if (absl::Status s = f_[kFeedback]->EndRow(); !s.ok()) return s;
    }
    f_[kTruth]->Text(r.truth.account_id).Text(DemoScenarioName(r.truth.scenario));
    if (r.truth.fade_start.has_value()) {
      f_[kTruth]->Day(*r.truth.fade_start);
    } else {
      f_[kTruth]->Text("");
    }
    return f_[kTruth]->EndRow();
  }

 private:
  std::vector<std::unique_ptr<CsvFile>>& f_;
  DemoSummary* summary_;
  const DemoAccountTransform* transform_;
};

}  // namespace

const std::vector<std::string>& DemoDatasetFiles() {
  static const auto* const kNames = [] {
    auto* names = new std::vector<std::string>;
    for (const FileSpec& f : kFiles) names->push_back(f.name);
    return names;
  }();
  return *kNames;
}

absl::StatusOr<DemoSummary> WriteDemoDataset(const DemoParams& params, const std::string& dir,
                                             bool overwrite, const DemoAccountTransform& transform) {
  // Refuse bad parameters before touching the disk.
  if (absl::Status s = ValidateDemoParams(params); !s.ok()) return s;
  if (dir.empty()) return absl::InvalidArgumentError("demo data directory is empty");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create directory ", dir, ": ", ec.message()));
  const std::filesystem::path base(dir);
  if (!overwrite && std::filesystem::exists(base / kFiles[kUsers].name, ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat((base / kFiles[kUsers].name).string(),
                     " already exists; choose an empty directory or allow overwriting"));
  }

  std::vector<std::unique_ptr<CsvFile>> files;
  for (const FileSpec& spec : kFiles) {
    files.push_back(std::make_unique<CsvFile>((base / spec.name).string(), spec.header));
    if (absl::Status s = files.back()->Open(); !s.ok()) return s;
  }
  DemoSummary summary;
  summary.dir = dir;
  DatasetSink sink(&files, &summary, &transform);
  if (absl::Status s = StreamDemoData(params, &sink); !s.ok()) return s;
  for (auto& f : files) {
    if (absl::Status s = f->Finish(); !s.ok()) {
      for (auto& g : files) g->Discard();
      return s;
    }
  }
  // users.csv last: its presence says a complete data set is in place.
  for (int i = kFileCount - 1; i >= 0; --i) {
    if (absl::Status s = files[i]->Publish(); !s.ok()) return s;
  }
  summary.users = files[kUsers]->rows();
  summary.accounts = files[kAccounts]->rows();
  summary.contacts = files[kContacts]->rows();
  summary.orders = files[kOrders]->rows();
  summary.order_lines = files[kOrderLines]->rows();
  summary.cases = files[kCases]->rows();
  summary.activities = files[kActivities]->rows();
  summary.engagement = files[kEngagement]->rows();
  summary.feedback = files[kFeedback]->rows();
  return summary;
}

}  // namespace pulse
