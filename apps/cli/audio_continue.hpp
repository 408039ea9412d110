// `continuo continue IN.wav -o OUT.wav`: the audio side of the continue verb (cmd_generate.cpp
// recognises a recording by its first bytes and hands it here).
#pragma once

#include <string>

#include "continuo/engine.hpp"

namespace continuo::cli {

struct AudioContinueArgs {
  std::string in, out_wav, out_midi, model, instrument = "piano", soundfont;
  double seconds = 15;
  double max_seconds = 600;
  engine::SampleOptions sampling;
};

// Transcribe, continue from the last downbeat, render the continuation with FluidSynth and join
// it to the recording there. Writes OUT.wav (OUT-1.wav ... for several variations) and, if asked,
// the MIDI of what was heard plus what was added. Returns the exit status.
int continue_recording(const AudioContinueArgs& a);

}  // namespace continuo::cli
