// `continuo render`: a MIDI file to a WAV file through FluidSynth and the General MIDI soundfont.
#include <cstdio>
#include <iostream>

#include "cli/cli.hpp"
#include "continuo/audio.hpp"
#include "continuo/error.hpp"

namespace continuo::cli {
namespace {

struct RenderArgs {
  std::string in, out, soundfont;
  int sample_rate = 44100;
  double tail = 1.0;
  double gain = 0.4;
  bool no_reverb = false;
};

Verb render_verb{"render", "Render a MIDI file to audio (WAV) with FluidSynth and the GM soundfont", [](CLI::App& app) {
  auto a = std::make_shared<RenderArgs>();
  app.add_option("input", a->in, "MIDI file")->required();
  app.add_option("-o,--out", a->out, "output WAV file")->required();
  app.add_option("--soundfont", a->soundfont, "SF2 soundfont (default: $CONTINUO_SOUNDFONT or FluidR3_GM.sf2)");
  app.add_option("--sample-rate", a->sample_rate, "samples per second")->check(CLI::Range(8000, 192000));
  app.add_option("--tail", a->tail, "seconds of release after the last note")->check(CLI::Range(0.0, 60.0));
  app.add_option("--gain", a->gain, "FluidSynth master gain")->check(CLI::Range(0.0, 10.0));
  app.add_flag("--no-reverb", a->no_reverb, "turn reverb and chorus off");
  return [a] {
    score::Score s = score::load(a->in);
    audio::RenderOptions opt;
    opt.soundfont = a->soundfont;
    opt.sample_rate = a->sample_rate;
    opt.tail_seconds = a->tail;
    opt.gain = a->gain;
    opt.reverb = opt.chorus = !a->no_reverb;
    audio::Audio wav = audio::render(s, opt);
    audio::save_wav(wav, a->out);
    std::cout << "wrote " << a->out << "\n";
    std::fprintf(stderr, "%.2f s of audio at %d Hz\n", wav.seconds(), wav.sample_rate);
    return 0;
  };
}, 30};

}  // namespace
}  // namespace continuo::cli
