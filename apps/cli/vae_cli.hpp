// apps/cli/vae_cli.hpp: `continuo generate --clip melody|drums` (the clip VAEs of continuo/vae.hpp),
// called by cmd_generate.cpp before its transformer path.
#pragma once

#include <cstdint>
#include <string>

namespace continuo::cli {

// Samples `variations` clips of `bars` bars and writes OUT (or OUT-1.mid ...). `model` "" = the
// shipped melody-vae / drums-vae; `bpm` "" = 120. Returns the exit status.
int generate_clip(const std::string& kind, int bars, const std::string& model, const std::string& out, int variations,
                  double temperature, uint64_t seed, const std::string& bpm);

}  // namespace continuo::cli
