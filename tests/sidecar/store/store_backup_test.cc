// Online backups: a copy taken while the store is open and being written is
// a complete, checked Pulse store holding the data; generations are named by
// time and pruned beyond `keep`; what cannot be backed up says why.
#include "sidecar/store/store_backup.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sidecar/store/store.h"
#include "tests/sidecar/store/sample_records.h"
#include "tests/sidecar/store/scoped_temp_dir.h"
#include "tests/testing/status_matchers.h"

namespace pulse {
namespace {

using ::pulse::testing::ApplyAll;
using ::pulse::testing::ExpectSameCustomerData;
using ::pulse::testing::IsOk;
using ::pulse::testing::SampleCustomerData;
using ::pulse::testing::ScopedTempDir;
using ::pulse::testing::StatusIs;
using ::pulse::testing::Upserts;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace fs = std::filesystem;

absl::Time Noon(int day) {
  return absl::FromCivil(absl::CivilSecond(2026, 11, day, 12, 0, 0), absl::UTCTimeZone());
}

class StoreBackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PULSE_ASSERT_OK_AND_ASSIGN(store_, Store::Open(StoreOptions{path_}));
    ASSERT_THAT(ApplyAll(*store_, data_), IsOk());
  }

  ScopedTempDir dir_;
  const std::string path_ = dir_.File("pulse.db");
  const CustomerData data_ = SampleCustomerData();
  std::unique_ptr<Store> store_;  // open throughout, as under pulsed serve
};

TEST_F(StoreBackupTest, TheCopyOfAnOpenStoreOpensAndHoldsTheData) {
  ASSERT_THAT(store_->SetMeta("holdout_salt", "s1"), IsOk());
  const std::string to = dir_.File("backups/copy.db");
  PULSE_ASSERT_OK_AND_ASSIGN(BackupFile file, BackupStoreFile(path_, to));
  EXPECT_EQ(file.path, to);
  EXPECT_EQ(file.bytes, static_cast<int64_t>(fs::file_size(to)));
  EXPECT_FALSE(fs::exists(to + ".tmp"));
  EXPECT_FALSE(fs::exists(to + "-wal"));  // one self-contained file

  // The live store goes on; the copy is the state at the backup.
  ASSERT_THAT(store_->SetMeta("holdout_salt", "s2"), IsOk());
  PULSE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> copy, Store::Open(StoreOptions{to}));
  PULSE_ASSERT_OK_AND_ASSIGN(CustomerData restored, copy->LoadCustomerData());
  ExpectSameCustomerData(restored, data_);
  PULSE_ASSERT_OK_AND_ASSIGN(std::optional<std::string> salt, copy->GetMeta("holdout_salt"));
  EXPECT_EQ(salt, "s1");
}

// Writes go on between the backup's steps (one page per step): the copy is
// still one consistent state, and the writer is never refused.
TEST_F(StoreBackupTest, WritesDuringAChunkedBackupNeitherBlockNorTearTheCopy) {
  std::vector<Contact> many;
  for (int i = 0; i < 3000; ++i) {
    many.push_back({absl::StrCat("bulk", i), "a1", absl::StrCat("Person ", i), "", "buyer", true, std::nullopt});
  }
  ASSERT_THAT(store_->Apply(Upserts(many)), IsOk());
  std::atomic<bool> done{false};
  std::atomic<int> writes{0};
  std::thread writer([&] {
    while (!done.load()) {
      ASSERT_THAT(store_->SetMeta(absl::StrCat("k", writes.load()), "v"), IsOk());
      writes.fetch_add(1);
    }
  });
  absl::StatusOr<BackupFile> file = BackupStoreFile(path_, dir_.File("copy.db"), /*pages_per_step=*/1);
  done.store(true);
  writer.join();
  ASSERT_THAT(file.status(), IsOk());
  EXPECT_GT(writes.load(), 0);
  PULSE_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Store> copy, Store::Open(StoreOptions{file->path}));
  PULSE_ASSERT_OK_AND_ASSIGN(CustomerData restored, copy->LoadCustomerData());
  EXPECT_EQ(restored.contacts.size(), data_.contacts.size() + many.size());
}

TEST_F(StoreBackupTest, GenerationsAreNamedByTimeAndPrunedBeyondKeep) {
  BackupParams params;
  params.dir = dir_.File("backups");
  params.keep = 2;
  for (int day = 1; day <= 4; ++day) {
    PULSE_ASSERT_OK_AND_ASSIGN(BackupFile file, TakeBackupGeneration(path_, params, Noon(day)));
    EXPECT_EQ(file.taken_at, Noon(day));
  }
  std::ofstream(dir_.File("backups/notes.txt")) << "not a generation";
  PULSE_ASSERT_OK_AND_ASSIGN(std::vector<BackupFile> kept, ListBackupGenerations(params.dir));
  std::vector<std::string> names;
  for (const BackupFile& f : kept) names.push_back(fs::path(f.path).filename().string());
  EXPECT_THAT(names, ElementsAre("pulse-20261104T120000Z.db", "pulse-20261103T120000Z.db"));
  EXPECT_TRUE(fs::exists(dir_.File("backups/notes.txt")));  // other files are left alone
  EXPECT_THAT(TakeBackupGeneration(path_, params, Noon(4)), StatusIs(absl::StatusCode::kAlreadyExists));
}

TEST_F(StoreBackupTest, NoFolderYetMeansNoGenerations) {
  PULSE_ASSERT_OK_AND_ASSIGN(std::vector<BackupFile> none, ListBackupGenerations(dir_.File("absent")));
  EXPECT_TRUE(none.empty());
}

TEST_F(StoreBackupTest, SaysWhyItCannotBackUp) {
  EXPECT_THAT(BackupStoreFile(dir_.File("absent.db"), dir_.File("copy.db")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("absent.db")));
  EXPECT_THAT(BackupStoreFile(":memory:", dir_.File("copy.db")), StatusIs(absl::StatusCode::kFailedPrecondition));
  std::ofstream(dir_.File("notes.db")) << std::string(8192, 'x');
  EXPECT_THAT(BackupStoreFile(dir_.File("notes.db"), dir_.File("copy.db")),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("notes.db")));
  EXPECT_FALSE(fs::exists(dir_.File("copy.db")));
  EXPECT_FALSE(fs::exists(dir_.File("copy.db.tmp")));
}

}  // namespace
}  // namespace pulse
