// Replays inputs through a fuzz target's LLVMFuzzerTestOneInput without
// libFuzzer, so that the normal (gcc) build runs every corpus and regression
// input as a CTest test. Usage: <target>_fuzz_replay DIR...
// Every regular file under each DIR is one input (dot files are skipped).
// A DIR that does not exist is an error; the test fails by the target's
// crash or abort on a bad input, or by exit 1 when there was nothing to run.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  int replayed = 0;
  for (int i = 1; i < argc; ++i) {
    std::error_code ec;
    if (!fs::is_directory(argv[i], ec)) {
      std::fprintf(stderr, "replay: %s is not a directory\n", argv[i]);
      return 1;
    }
    std::vector<fs::path> files;
    for (const fs::directory_entry& e : fs::recursive_directory_iterator(argv[i])) {
      if (e.is_regular_file() && e.path().filename().string()[0] != '.') files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& path : files) {
      std::ifstream in(path, std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      // Named first, so that a crash shows which input caused it.
      std::fprintf(stderr, "replay: %s (%zu bytes)\n", path.c_str(), bytes.size());
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      ++replayed;
    }
  }
  std::printf("replay: %d inputs ran clean\n", replayed);
  return replayed > 0 ? 0 : 1;
}
