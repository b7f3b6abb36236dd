// Decodes the PNG screenshots headless Chromium writes (8-bit RGB or RGBA,
// not interlaced), so a test can look at what was actually painted.
#ifndef PULSE_TESTS_INTEGRATION_PNG_IMAGE_H_
#define PULSE_TESTS_INTEGRATION_PNG_IMAGE_H_

#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace pulse::testing {

struct PngImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;  // width * height * 3, rows top to bottom

  // Pixels within `tolerance` per channel of the colour 0xRRGGBB.
  int64_t CountColour(uint32_t colour, int tolerance = 3) const {
    const int r = (colour >> 16) & 0xff, g = (colour >> 8) & 0xff, b = colour & 0xff;
    int64_t n = 0;
    for (size_t i = 0; i + 2 < rgb.size(); i += 3) {
      if (std::abs(rgb[i] - r) <= tolerance && std::abs(rgb[i + 1] - g) <= tolerance &&
          std::abs(rgb[i + 2] - b) <= tolerance) {
        ++n;
      }
    }
    return n;
  }
};

// Reads `path`; nullopt when it is not a PNG of the supported kind (`error`
// says why).
inline std::optional<PngImage> ReadPng(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string data = ss.str();
  auto u32 = [&data](size_t at) {
    return (static_cast<uint32_t>(static_cast<uint8_t>(data[at])) << 24) |
           (static_cast<uint32_t>(static_cast<uint8_t>(data[at + 1])) << 16) |
           (static_cast<uint32_t>(static_cast<uint8_t>(data[at + 2])) << 8) |
           static_cast<uint32_t>(static_cast<uint8_t>(data[at + 3]));
  };
  if (data.size() < 8 || data.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) {
    *error = path + " is not a PNG file";
    return std::nullopt;
  }
  PngImage image;
  int channels = 0;
  std::string compressed;
  for (size_t at = 8; at + 12 <= data.size();) {
    const uint32_t length = u32(at);
    const std::string type = data.substr(at + 4, 4);
    if (at + 12 + length > data.size()) break;
    if (type == "IHDR") {
      image.width = static_cast<int>(u32(at + 8));
      image.height = static_cast<int>(u32(at + 12));
      const int depth = static_cast<uint8_t>(data[at + 16]);
      const int colour_type = static_cast<uint8_t>(data[at + 17]);
      const int interlace = static_cast<uint8_t>(data[at + 20]);
      channels = colour_type == 2 ? 3 : colour_type == 6 ? 4 : 0;
      if (depth != 8 || channels == 0 || interlace != 0) {
        *error = "only 8-bit, non-interlaced RGB or RGBA PNGs are supported";
        return std::nullopt;
      }
    } else if (type == "IDAT") {
      compressed.append(data, at + 8, length);
    }
    at += 12 + length;
  }
  if (channels == 0 || image.width <= 0 || image.height <= 0) {
    *error = "no IHDR chunk";
    return std::nullopt;
  }
  const size_t stride = static_cast<size_t>(image.width) * channels;
  std::vector<uint8_t> raw((stride + 1) * image.height);
  uLongf raw_size = raw.size();
  if (uncompress(raw.data(), &raw_size, reinterpret_cast<const Bytef*>(compressed.data()), compressed.size()) !=
          Z_OK ||
      raw_size != raw.size()) {
    *error = "the image data does not inflate to the image's size";
    return std::nullopt;
  }
  // Undo the per-row filters (PNG specification, section 9).
  std::vector<uint8_t> pixels(stride * image.height);
  for (int y = 0; y < image.height; ++y) {
    const uint8_t filter = raw[y * (stride + 1)];
    const uint8_t* in_row = &raw[y * (stride + 1) + 1];
    uint8_t* row = &pixels[y * stride];
    const uint8_t* up = y > 0 ? &pixels[(y - 1) * stride] : nullptr;
    for (size_t x = 0; x < stride; ++x) {
      const int a = x >= static_cast<size_t>(channels) ? row[x - channels] : 0;
      const int b = up != nullptr ? up[x] : 0;
      const int c = up != nullptr && x >= static_cast<size_t>(channels) ? up[x - channels] : 0;
      int predictor = 0;
      switch (filter) {
        case 0: predictor = 0; break;
        case 1: predictor = a; break;
        case 2: predictor = b; break;
        case 3: predictor = (a + b) / 2; break;
        case 4: {
          const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
          predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default:
          *error = "unknown PNG row filter";
          return std::nullopt;
      }
      row[x] = static_cast<uint8_t>(in_row[x] + predictor);
    }
  }
  image.rgb.reserve(static_cast<size_t>(image.width) * image.height * 3);
  for (size_t i = 0; i < pixels.size(); i += channels) {
    image.rgb.insert(image.rgb.end(), pixels.begin() + i, pixels.begin() + i + 3);
  }
  return image;
}

}  // namespace pulse::testing

#endif  // PULSE_TESTS_INTEGRATION_PNG_IMAGE_H_
