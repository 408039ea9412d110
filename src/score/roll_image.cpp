// score/roll_image.cpp: the piano roll as a picture (PNG or SVG) for `continuo roll` and docs.
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <string>

#include "continuo/error.hpp"
#include "continuo/score.hpp"

namespace continuo::score {
namespace {

struct Rgb {
  uint8_t r, g, b;
};
// one colour per track (cycled), drums in grey
constexpr std::array<Rgb, 8> kPalette = {{{31, 119, 180}, {214, 39, 40}, {44, 160, 44}, {148, 103, 189},
                                          {255, 127, 14}, {23, 190, 207}, {188, 189, 34}, {227, 119, 194}}};
constexpr Rgb kDrum{90, 90, 90};

struct Layout {
  int lo = 127, hi = 0;   // pitch range drawn
  double beats = 0;       // length drawn
  int width = 0, height = 0;
};

Layout layout(const Score& s, const RollOptions& o) {
  Layout l;
  int64_t end = 0;
  for (const auto& t : s.tracks)
    for (const auto& n : t.notes) {
      l.lo = std::min<int>(l.lo, n.pitch);
      l.hi = std::max<int>(l.hi, n.pitch);
      end = std::max(end, (n.start + n.duration).count());
    }
  if (l.lo > l.hi) l.lo = 48, l.hi = 72;
  l.lo = std::max(0, l.lo - 2);
  l.hi = std::min(127, l.hi + 2);
  l.beats = std::max(1.0, double(end) / std::max(1, s.ticks_per_beat));
  if (o.max_beats > 0) l.beats = std::min(l.beats, o.max_beats);
  l.width = int(std::ceil(l.beats * o.pixels_per_beat));
  l.height = (l.hi - l.lo + 1) * o.pixels_per_pitch;
  if (int64_t(l.width) * l.height > 40'000'000)
    throw Error(ErrorCode::kInvalidArgument, "the picture would be larger than 40 megapixels: lower --pixels-per-beat or --max-beats");
  return l;
}

// Bar line positions in beats (from the time signatures), up to `beats`.
std::vector<double> bar_lines(const Score& s, double beats) {
  std::vector<double> out;
  const double tpb = std::max(1, s.ticks_per_beat);
  std::vector<TimeSignature> ts = s.time_signatures;
  if (ts.empty() || ts.front().time.count() > 0) ts.insert(ts.begin(), TimeSignature{Ticks{0}, 4, 4});
  for (size_t i = 0; i < ts.size(); ++i) {
    const double from = double(ts[i].time.count()) / tpb;
    const double to = i + 1 < ts.size() ? double(ts[i + 1].time.count()) / tpb : beats;
    const double bar = std::max(0.25, ts[i].numerator * 4.0 / std::max<int>(1, ts[i].denominator));
    for (double b = from; b < to && b <= beats && out.size() < 100000; b += bar) out.push_back(b);
  }
  return out;
}

void put_u32(std::string& s, uint32_t v) {
  for (int i = 3; i >= 0; --i) s.push_back(char((v >> (8 * i)) & 0xff));
}

void chunk(std::string& png, const char* type, const std::string& data) {
  put_u32(png, uint32_t(data.size()));
  std::string body = std::string(type, 4) + data;
  png += body;
  put_u32(png, uint32_t(crc32(0, reinterpret_cast<const Bytef*>(body.data()), uInt(body.size()))));
}

}  // namespace

std::string roll_png(const Score& s, const RollOptions& o) {
  const Layout l = layout(s, o);
  const int W = l.width, H = l.height;
  std::vector<uint8_t> px(size_t(W) * H * 3, 255);
  auto fill = [&](int x0, int y0, int x1, int y1, Rgb c) {
    for (int y = std::max(0, y0); y < std::min(H, y1); ++y)
      for (int x = std::max(0, x0); x < std::min(W, x1); ++x) {
        uint8_t* p = &px[(size_t(y) * W + x) * 3];
        p[0] = c.r, p[1] = c.g, p[2] = c.b;
      }
  };
  const double ppb = o.pixels_per_beat;
  if (o.prompt_beats > 0) fill(0, 0, int(o.prompt_beats * ppb), H, {232, 232, 236});
  for (int p = l.lo; p <= l.hi; ++p)   // black keys a shade darker
    if (p % 12 == 1 || p % 12 == 3 || p % 12 == 6 || p % 12 == 8 || p % 12 == 10) {
      const int y = (l.hi - p) * o.pixels_per_pitch;
      const int x1 = o.prompt_beats > 0 ? int(o.prompt_beats * ppb) : 0;
      fill(0, y, x1, y + o.pixels_per_pitch, {222, 222, 228});
      fill(x1, y, W, y + o.pixels_per_pitch, {246, 246, 248});
    }
  for (double b : bar_lines(s, l.beats)) fill(int(b * ppb), 0, int(b * ppb) + 1, H, {200, 200, 200});
  const double tpb = std::max(1, s.ticks_per_beat);
  for (size_t t = 0; t < s.tracks.size(); ++t) {
    const Track& tr = s.tracks[t];
    const Rgb base = tr.is_drum ? kDrum : kPalette[t % kPalette.size()];
    for (const Note& n : tr.notes) {
      if (n.pitch < l.lo || n.pitch > l.hi) continue;
      const double a = n.velocity / 127.0 * 0.6 + 0.4;   // louder = stronger colour
      const Rgb c{uint8_t(255 - a * (255 - base.r)), uint8_t(255 - a * (255 - base.g)), uint8_t(255 - a * (255 - base.b))};
      const int x0 = int(double(n.start.count()) / tpb * ppb);
      const int x1 = std::max(x0 + 2, int(double((n.start + n.duration).count()) / tpb * ppb));
      const int y = (l.hi - n.pitch) * o.pixels_per_pitch;
      fill(x0, y, tr.is_drum ? x0 + 3 : x1, y + o.pixels_per_pitch, c);
    }
  }
  if (o.prompt_beats > 0) fill(int(o.prompt_beats * ppb), 0, int(o.prompt_beats * ppb) + 2, H, {40, 40, 40});
  // PNG: 8-bit RGB, filter 0 on every row, zlib-compressed
  std::string raw;
  raw.reserve(size_t(H) * (size_t(W) * 3 + 1));
  for (int y = 0; y < H; ++y) {
    raw.push_back(0);
    raw.append(reinterpret_cast<const char*>(&px[size_t(y) * W * 3]), size_t(W) * 3);
  }
  uLongf zlen = compressBound(uLong(raw.size()));
  std::string z(zlen, '\0');
  if (compress2(reinterpret_cast<Bytef*>(z.data()), &zlen, reinterpret_cast<const Bytef*>(raw.data()), uLong(raw.size()), 9) != Z_OK)
    throw Error(ErrorCode::kInternal, "PNG compression failed");
  z.resize(zlen);
  std::string png = "\x89PNG\r\n\x1a\n";
  std::string ihdr;
  put_u32(ihdr, uint32_t(W));
  put_u32(ihdr, uint32_t(H));
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);
  chunk(png, "IHDR", ihdr);
  chunk(png, "IDAT", z);
  chunk(png, "IEND", "");
  return png;
}

std::string roll_svg(const Score& s, const RollOptions& o) {
  const Layout l = layout(s, o);
  const double ppb = o.pixels_per_beat, tpb = std::max(1, s.ticks_per_beat);
  std::string svg;
  char buf[256];
  std::snprintf(buf, sizeof buf, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
                l.width, l.height, l.width, l.height);
  svg += buf;
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  if (o.prompt_beats > 0) {
    std::snprintf(buf, sizeof buf, "<rect class=\"prompt\" x=\"0\" y=\"0\" width=\"%.1f\" height=\"%d\" fill=\"#e8e8ec\"/>\n",
                  o.prompt_beats * ppb, l.height);
    svg += buf;
  }
  for (double b : bar_lines(s, l.beats)) {
    std::snprintf(buf, sizeof buf, "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%d\" stroke=\"#c8c8c8\"/>\n", b * ppb, b * ppb, l.height);
    svg += buf;
  }
  for (size_t t = 0; t < s.tracks.size(); ++t) {
    const Track& tr = s.tracks[t];
    const Rgb c = tr.is_drum ? kDrum : kPalette[t % kPalette.size()];
    std::snprintf(buf, sizeof buf, "<g class=\"track\" data-track=\"%zu\" fill=\"#%02x%02x%02x\">\n", t, c.r, c.g, c.b);
    svg += buf;
    for (const Note& n : tr.notes) {
      if (n.pitch < l.lo || n.pitch > l.hi) continue;
      const double x0 = double(n.start.count()) / tpb * ppb;
      const double w = tr.is_drum ? 3.0 : std::max(2.0, double(n.duration.count()) / tpb * ppb);
      std::snprintf(buf, sizeof buf, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill-opacity=\"%.2f\"/>\n", x0,
                    (l.hi - n.pitch) * o.pixels_per_pitch, w, o.pixels_per_pitch, n.velocity / 127.0 * 0.6 + 0.4);
      svg += buf;
    }
    svg += "</g>\n";
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace continuo::score
