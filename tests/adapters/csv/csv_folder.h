// A fresh folder of CSV files per test, removed afterwards, with helpers to
// write, append to and read back its files.
#ifndef PULSE_TESTS_ADAPTERS_CSV_CSV_FOLDER_H_
#define PULSE_TESTS_ADAPTERS_CSV_CSV_FOLDER_H_

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

#include "gtest/gtest.h"

namespace pulse::testing {

class CsvFolder {
 public:
  CsvFolder() {
    std::string pattern = (std::filesystem::temp_directory_path() / "pulse_csv_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp(" << pattern << ") failed";
    path_ = pattern;
  }
  CsvFolder(const CsvFolder&) = delete;
  CsvFolder& operator=(const CsvFolder&) = delete;
  ~CsvFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

  void Write(const std::string& name, const std::string& content) const {
    std::ofstream out(File(name), std::ios::binary | std::ios::trunc);
    out << content;
    ASSERT_TRUE(out.good()) << "cannot write " << File(name);
  }
  void Append(const std::string& name, const std::string& content) const {
    std::ofstream out(File(name), std::ios::binary | std::ios::app);
    out << content;
    ASSERT_TRUE(out.good()) << "cannot append to " << File(name);
  }
  std::string Read(const std::string& name) const {
    std::ifstream in(File(name), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  bool Exists(const std::string& name) const { return std::filesystem::exists(File(name)); }
  void Remove(const std::string& name) const { std::filesystem::remove(File(name)); }
  // Sets the file's mtime, e.g. back to what it was before a rewrite.
  void SetMtime(const std::string& name, const struct timespec& mtime) const {
    struct timespec times[2] = {mtime, mtime};
    ASSERT_EQ(utimensat(AT_FDCWD, File(name).c_str(), times, 0), 0);
  }
  struct timespec Mtime(const std::string& name) const {
    struct stat st {};
    EXPECT_EQ(stat(File(name).c_str(), &st), 0);
    return st.st_mtim;
  }

 private:
  std::string path_;
};

}  // namespace pulse::testing

#endif  // PULSE_TESTS_ADAPTERS_CSV_CSV_FOLDER_H_
