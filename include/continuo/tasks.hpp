// continuo/tasks.hpp: what users ask for, as functions from inputs + options to scores.
//
//   using namespace continuo;
//   auto model = engine::Model::load(model::find_model("default"));
//   score::Score prompt = score::load("intro.mid");
//   tasks::ContinueOptions opt;
//   opt.prompt_events = 256; opt.sampling.events = 512; opt.sampling.variations = 4;
//   std::vector<score::Score> outs = tasks::continue_score(model, prompt, opt);
//   score::save(outs[0], "intro-continued.mid");     // the prompt, then the new events
//
// A continuation keeps the prompt's resolution, tracks (names, channels, programs), tempo map
// and metre, and appends the new notes to the prompt's own tracks.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "continuo/engine.hpp"
#include "continuo/score.hpp"

namespace continuo::tasks {

// An instrument for conditioning: a GM program (0..127) or a drum kit.
struct Instrument {
  int program = 0;
  bool drums = false;
};

struct Conditioning {
  std::vector<Instrument> instruments;          // tracks of a new piece (generate)
  std::optional<double> bpm;
  std::optional<std::pair<int, int>> time_signature;
  std::optional<std::pair<int, bool>> key;      // sharps (-7..7), minor
};

struct ContinueOptions {
  size_t prompt_events = 0;     // use the first n events of the prompt (0 = all of it)
  engine::SampleOptions sampling;
  Conditioning override_;       // optional: replace the prompt's tempo / metre / key
};

struct GenerateOptions {
  engine::SampleOptions sampling;
  Conditioning conditioning;    // empty: the model chooses
};

// Called with (variation, number of new events so far in that variation); false = stop.
using ProgressFn = std::function<bool(int variation, int events_done)>;

// The prompt as the model sees it: header + the first n body events (all if n == 0), no EOS.
std::vector<tokenizer::Event> prompt_events(const score::Score& prompt, size_t n, bool controls);

// Each variation: the prompt (its first n events) followed by the continuation, in the prompt's
// own resolution and tracks. Throws Error(kInvalidArgument) for a prompt without notes.
// `on_event`, if given, sees every new event as it is made (after `progress`); false = stop.
std::vector<score::Score> continue_score(const engine::Model& m, const score::Score& prompt,
                                         const ContinueOptions& opt, const ProgressFn& progress = {},
                                         std::vector<std::vector<tokenizer::Event>>* raw = nullptr,
                                         const engine::EventCallback& on_event = {});

std::vector<score::Score> generate_score(const engine::Model& m, const GenerateOptions& opt,
                                         const ProgressFn& progress = {},
                                         const engine::EventCallback& on_event = {});

// Header events for a new piece from conditioning (BOS, time signature, key, tempo, tracks).
std::vector<tokenizer::Event> conditioning_header(const Conditioning& c);

// Parsers for CLI / API option strings: "120", "6/8", "D major" / "F# minor" / "Bb",
// instruments "piano,violin,0,33" (GM names or numbers) and drum kits "standard", "jazz".
std::pair<int, int> parse_time_signature(const std::string& s);
std::pair<int, bool> parse_key(const std::string& s);
std::vector<Instrument> parse_instruments(const std::string& s);
int parse_drum_kit(const std::string& s);

}  // namespace continuo::tasks
