// Test helpers: build Standard MIDI File bytes by hand, and compare midi::File events.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "continuo/midi.hpp"

namespace continuo::midi::test {

using Bytes = std::vector<uint8_t>;

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline Bytes be32(uint32_t v) { return {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)}; }
inline Bytes le32(uint32_t v) { return {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)}; }
inline Bytes str(const std::string& s) { return Bytes(s.begin(), s.end()); }

inline Bytes header(uint16_t format, uint16_t ntracks, uint16_t division, uint32_t length = 6) {
  Bytes b = cat({str("MThd"), be32(length),
                 {uint8_t(format >> 8), uint8_t(format), uint8_t(ntracks >> 8), uint8_t(ntracks),
                  uint8_t(division >> 8), uint8_t(division)}});
  b.resize(8 + length, 0);
  return b;
}

inline Bytes chunk(const std::string& id, const Bytes& body) { return cat({str(id), be32(uint32_t(body.size())), body}); }
inline Bytes track(const Bytes& body) { return chunk("MTrk", body); }

inline const Bytes kEndOfTrack = {0x00, 0xFF, 0x2F, 0x00};

// A format-0 file at 96 ticks per beat with one track holding `body` (+ End of Track).
inline Bytes smf0(const Bytes& body) { return cat({header(0, 1, 96), track(cat({body, kEndOfTrack}))}); }

inline Bytes vlq(uint32_t v) {
  Bytes out{uint8_t(v & 0x7F)};
  while (v >>= 7) out.insert(out.begin(), uint8_t(0x80 | (v & 0x7F)));
  return out;
}

inline bool is_end_of_track(const Event& e) { return e.is_meta() && e.data1 == uint8_t(Meta::kEndOfTrack); }

// Empty when both files hold the same events (End of Track placement aside), else the first
// difference.
inline std::string diff_events(const File& a, const File& b) {
  if (a.tracks.size() != b.tracks.size()) return "track count differs";
  for (size_t t = 0; t < a.tracks.size(); ++t) {
    std::vector<const Event*> ea, eb;
    for (const Event& e : a.tracks[t].events)
      if (!is_end_of_track(e)) ea.push_back(&e);
    for (const Event& e : b.tracks[t].events)
      if (!is_end_of_track(e)) eb.push_back(&e);
    if (ea.size() != eb.size()) return "track " + std::to_string(t) + ": event count differs";
    for (size_t i = 0; i < ea.size(); ++i) {
      const Event& x = *ea[i];
      const Event& y = *eb[i];
      auto px = a.payload(x);
      auto py = b.payload(y);
      if (x.tick != y.tick || x.status != y.status || x.data1 != y.data1 || x.data2 != y.data2 ||
          Bytes(px.begin(), px.end()) != Bytes(py.begin(), py.end()))
        return "track " + std::to_string(t) + ", event " + std::to_string(i) + " differs";
    }
  }
  return "";
}

}  // namespace continuo::midi::test
