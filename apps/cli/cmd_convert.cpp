// `continuo convert IN OUT [--bars A:B] [--first-notes N] [--transpose K] [--quantize N]
// [--resample TPB]`: rewrites a MIDI file through the score model (format 1, a conductor track,
// one track per instrument), applying the given operations in that order. Without options it
// normalizes a file: what `continuo info` reports of IN is what OUT holds.
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "cli/cli.hpp"
#include "continuo/error.hpp"
#include "continuo/score.hpp"

namespace continuo::cli {
namespace {

struct ConvertOptions {
  std::string in, out;
  std::string bars;  // "A:B", 1-based, inclusive; "A:" to the end
  std::optional<size_t> first_notes;
  int transpose = 0;
  std::optional<int> quantize;
  std::optional<int> resample;
};

// Parses "A:B" / "A:" into 0-based [begin, end) bars.
std::pair<int64_t, int64_t> parse_bars(const std::string& text, const score::Score& s) {
  auto bad = [&] {
    return Error(ErrorCode::kInvalidArgument,
                 "--bars: expected A:B (bars counted from 1, inclusive), got '" + text + "'");
  };
  const auto colon = text.find(':');
  if (colon == std::string::npos) throw bad();
  int64_t a = 0, b = 0;
  try {
    size_t used = 0;
    a = std::stoll(text.substr(0, colon), &used);
    if (used != colon) throw bad();
    const std::string rest = text.substr(colon + 1);
    if (rest.empty()) {
      b = std::max<int64_t>(score::bar_count(s), a);
    } else {
      b = std::stoll(rest, &used);
      if (used != rest.size()) throw bad();
    }
  } catch (const std::logic_error&) {
    throw bad();
  }
  if (a < 1 || b < a) throw bad();
  return {a - 1, b};
}

int run_convert(const ConvertOptions& o) {
  score::Score s = score::load(o.in);
  if (!o.bars.empty()) {
    auto [a, b] = parse_bars(o.bars, s);
    s = score::slice_bars(s, a, b);
  }
  if (o.first_notes) s = score::first_notes(s, *o.first_notes);
  if (o.transpose != 0) s = score::transpose(s, o.transpose);
  if (o.quantize) s = score::quantize(s, *o.quantize);
  if (o.resample) s = score::resample(s, *o.resample);
  score::save(s, o.out);
  size_t notes = 0;
  for (const auto& t : s.tracks) notes += t.notes.size();
  std::cout << o.out << ": " << s.tracks.size() << " track" << (s.tracks.size() == 1 ? "" : "s")
            << ", " << notes << " notes\n";
  return 0;
}

Verb convert_verb{"convert", "Rewrite a MIDI file through the score model (slice, transpose, quantize)",
                  [](CLI::App& app) {
                    auto o = std::make_shared<ConvertOptions>();
                    app.add_option("input", o->in, "MIDI file to read")->required();
                    app.add_option("output", o->out, "MIDI file to write (replaced atomically)")->required();
                    app.add_option("--bars", o->bars, "keep bars A to B (from 1, inclusive), e.g. 1:8 or 9:");
                    app.add_option("--first-notes", o->first_notes, "keep the first N notes");
                    app.add_option("--transpose", o->transpose, "semitones (drums stay)")
                        ->check(CLI::Range(-127, 127));
                    app.add_option("--quantize", o->quantize, "snap to N steps per beat (4 = sixteenths)")
                        ->check(CLI::Range(1, 960));
                    app.add_option("--resample", o->resample, "new ticks per beat")
                        ->check(CLI::Range(1, 32767));
                    return [o] { return run_convert(*o); };
                  },
                  25};

}  // namespace
}  // namespace continuo::cli
