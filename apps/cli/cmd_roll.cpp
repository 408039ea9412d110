// `continuo roll`: the piano roll of a MIDI file as a PNG or SVG picture.
#include <iostream>

#include "cli/cli.hpp"
#include "continuo/error.hpp"
#include "continuo/midi.hpp"
#include "continuo/score.hpp"

namespace continuo::cli {
namespace {

struct RollArgs {
  std::string in, out;
  score::RollOptions opt;
};

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

Verb roll_verb{"roll", "Draw a MIDI file's piano roll as a PNG or SVG picture (prompt shaded)", [](CLI::App& app) {
  auto a = std::make_shared<RollArgs>();
  app.add_option("input", a->in, "MIDI file")->required();
  app.add_option("-o,--out", a->out, "output picture: .png or .svg")->required();
  app.add_option("--prompt-beats", a->opt.prompt_beats, "shade the first N beats (the prompt of a continuation)")
      ->check(CLI::Range(0.0, 100000.0));
  app.add_option("--max-beats", a->opt.max_beats, "draw only the first N beats (0 = all)")->check(CLI::Range(0.0, 100000.0));
  app.add_option("--pixels-per-beat", a->opt.pixels_per_beat, "horizontal scale")->check(CLI::Range(1.0, 200.0));
  app.add_option("--pixels-per-pitch", a->opt.pixels_per_pitch, "vertical scale")->check(CLI::Range(1, 40));
  return [a] {
    const bool svg = ends_with(a->out, ".svg");
    if (!svg && !ends_with(a->out, ".png"))
      throw Error(ErrorCode::kInvalidArgument, "the output must end in .png or .svg: " + a->out);
    score::Score s = score::load(a->in);
    const std::string bytes = svg ? score::roll_svg(s, a->opt) : score::roll_png(s, a->opt);
    write_file_atomic(a->out, std::string_view(bytes));
    std::cout << "wrote " << a->out << "\n";
    return 0;
  };
}, 16};

}  // namespace
}  // namespace continuo::cli
