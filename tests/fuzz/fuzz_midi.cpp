// libFuzzer target for the parsers of outside MIDI data: midi::parse, then serialize + parse of its
// result (must succeed and give the same events), then score::parse -> serialize -> parse (the
// rewritten file must parse).
// Built by tests/fuzz/CMakeLists.txt with clang; run by scripts/fuzz.sh.
#include <cstdint>
#include <cstdio>
#include <span>

#include "continuo/error.hpp"
#include "continuo/midi.hpp"
#include "continuo/score.hpp"

namespace {
using namespace continuo;

[[noreturn]] void bug(const char* what, const char* detail = "") {
  std::fprintf(stderr, "fuzz_midi: %s %s\n", what, detail);
  __builtin_trap();
}

bool same_events(const midi::File& a, const midi::File& b) {
  if (a.tracks.size() != b.tracks.size() || a.format != b.format) return false;
  for (size_t t = 0; t < a.tracks.size(); ++t) {
    size_t i = 0, j = 0;
    const auto& ea = a.tracks[t].events;
    const auto& eb = b.tracks[t].events;
    auto skip_eot = [](const std::vector<midi::Event>& v, size_t& k) {
      while (k < v.size() && v[k].is_meta() && v[k].data1 == uint8_t(midi::Meta::kEndOfTrack)) ++k;
    };
    for (;; ++i, ++j) {
      skip_eot(ea, i);
      skip_eot(eb, j);
      if (i == ea.size() || j == eb.size()) {
        if (i != ea.size() || j != eb.size()) return false;
        break;
      }
      const auto &x = ea[i], &y = eb[j];
      auto px = a.payload(x), py = b.payload(y);
      if (x.tick != y.tick || x.status != y.status || x.data1 != y.data1 || x.data2 != y.data2 ||
          !std::equal(px.begin(), px.end(), py.begin(), py.end()))
        return false;
    }
  }
  return true;
}

void fuzz_midi(std::span<const uint8_t> bytes) {
  midi::File first;
  try {
    first = midi::parse(bytes, "fuzz");
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kCorruptData) bug("midi::parse threw a non-kCorruptData error:", e.what());
    return;
  }
  try {
    std::vector<uint8_t> again = midi::serialize(first);
    if (!same_events(first, midi::parse(again, "fuzz (rewritten)"))) bug("midi round trip changed the events");
  } catch (const Error& e) {
    bug("serialize or re-parse of a parsed file failed:", e.what());
  }
}

// The score layer may refuse an input (or a Score a MIDI file cannot hold) with an Error; what
// it writes must parse again.
void fuzz_score(std::span<const uint8_t> bytes) {
  std::vector<uint8_t> out;
  try {
    out = score::serialize(score::parse(bytes, "fuzz"));
  } catch (const Error&) {
    return;
  }
  try {
    score::parse(out, "fuzz (rewritten)");
  } catch (const Error& e) {
    bug("score::parse of what score::serialize wrote failed:", e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  fuzz_midi(bytes);
  fuzz_score(bytes);
  return 0;
}
