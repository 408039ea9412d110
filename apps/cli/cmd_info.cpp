// `continuo info FILE [--json] [--notes]`: what a MIDI file holds, as the score layer reads it.
//
// Text (default): format, resolution, length, tempi, time and key signatures, and one line per
// track (channel, instrument, notes, pitch range). --json: one JSON object with the same facts
// (channels 0-based there; 1-based in the text); --notes adds every note of every track as
// [start_tick, duration_ticks, pitch, velocity] (used by the mido oracle test).
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cli.hpp"
#include "continuo/error.hpp"
#include "continuo/limits.hpp"
#include "continuo/midi.hpp"
#include "continuo/score.hpp"

namespace continuo::cli {
namespace {

struct InfoOptions {
  std::string path;
  bool json = false;
  bool notes = false;
};

std::string pitch_name(int p) {
  static const char* names[12] = {"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"};
  return std::string(names[p % 12]) + std::to_string(p / 12 - 1);  // 60 = C4
}

// "mm:ss.s", or "h:mm:ss.s" from an hour on.
std::string clock(double seconds) {
  if (!(seconds >= 0)) seconds = 0;
  const long tenths = std::lround(seconds * 10);
  const long h = tenths / 36000, m = (tenths / 600) % 60, s = (tenths / 10) % 60, t = tenths % 10;
  char buf[48];
  if (h > 0)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld.%ld", h, m, s, t);
  else
    std::snprintf(buf, sizeof buf, "%02ld:%02ld.%ld", m, s, t);
  return buf;
}

std::string number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

std::string resolution(const midi::Division& d, int ticks_per_beat) {
  if (!d.smpte) return std::to_string(d.ticks_per_beat) + " ticks per beat";
  return "SMPTE " + std::string(d.fps == 29 ? "29.97 (drop frame)" : std::to_string(d.fps)) +
         " fps x " + std::to_string(d.ticks_per_frame) + " ticks per frame (read as " +
         std::to_string(ticks_per_beat) + " ticks per beat)";
}

nlohmann::json to_json(const InfoOptions& o, const midi::File& f, const score::Score& s,
                       const score::Summary& sum) {
  using nlohmann::json;
  json j;
  j["file"] = o.path;
  j["format"] = f.format;
  j["midi_tracks"] = f.tracks.size();
  json div;
  div["smpte"] = f.division.smpte;
  if (f.division.smpte) {
    div["fps"] = f.division.fps;
    div["ticks_per_frame"] = f.division.ticks_per_frame;
  }
  j["division"] = div;
  j["ticks_per_beat"] = s.ticks_per_beat;
  json tracks = json::array();
  for (size_t i = 0; i < s.tracks.size(); ++i) {
    const score::Track& t = s.tracks[i];
    const score::TrackSummary& ts = sum.tracks[i];
    json jt;
    jt["name"] = t.name;
    jt["channel"] = t.channel;
    jt["program"] = t.program;
    jt["bank"] = t.bank;
    jt["is_drum"] = t.is_drum;
    jt["instrument"] = ts.instrument;
    jt["notes"] = ts.notes;
    if (ts.notes) {
      jt["pitch_min"] = ts.pitch_min;
      jt["pitch_max"] = ts.pitch_max;
    }
    jt["controls"] = t.controls.size();
    jt["pitch_bends"] = t.bends.size();
    if (o.notes) {
      json notes = json::array();
      for (const score::Note& n : t.notes)
        notes.push_back({n.start.count(), n.duration.count(), n.pitch, n.velocity});
      jt["note_list"] = std::move(notes);
    }
    tracks.push_back(std::move(jt));
  }
  j["tracks"] = std::move(tracks);
  json tempos = json::array();
  for (const score::TempoChange& t : s.tempos)
    tempos.push_back({{"tick", t.time.count()}, {"us_per_beat", t.us_per_beat}, {"bpm", t.bpm()}});
  j["tempos"] = std::move(tempos);
  json ts = json::array();
  for (const score::TimeSignature& t : s.time_signatures)
    ts.push_back({{"tick", t.time.count()}, {"numerator", t.numerator}, {"denominator", t.denominator}});
  j["time_signatures"] = std::move(ts);
  json ks = json::array();
  for (const score::KeySignature& k : s.key_signatures)
    ks.push_back({{"tick", k.time.count()},
                  {"sharps", k.sharps},
                  {"minor", k.minor},
                  {"name", score::key_name(k.sharps, k.minor)}});
  j["key_signatures"] = std::move(ks);
  j["notes"] = sum.notes;
  j["end_tick"] = score::end_tick(s).count();
  j["bars"] = sum.bars;
  j["beats"] = sum.beats;
  j["seconds"] = sum.seconds;
  j["mean_velocity"] = sum.mean_velocity;
  j["notes_per_second"] = sum.notes_per_second;
  j["pitch_class_histogram"] = std::vector<double>(std::begin(sum.pitch_class_histogram),
                                                   std::end(sum.pitch_class_histogram));
  return j;
}

void print_text(const InfoOptions& o, const midi::File& f, const score::Score& s,
                const score::Summary& sum) {
  std::cout << o.path << "\n";
  std::cout << "  format " << f.format << ", " << f.tracks.size() << " MIDI track"
            << (f.tracks.size() == 1 ? "" : "s") << ", " << resolution(f.division, s.ticks_per_beat)
            << "\n";
  std::cout << "  length: " << sum.bars << " bar" << (sum.bars == 1 ? "" : "s") << ", "
            << number(sum.beats) << " beats, " << clock(sum.seconds) << "\n";
  auto bar_label = [&](Ticks t) { return "bar " + std::to_string(score::bar_of(s, t) + 1); };
  std::cout << "  tempo:";
  if (s.tempos.empty()) std::cout << " 120 BPM (default)";
  for (size_t i = 0; i < s.tempos.size(); ++i) {
    if (i == 8) {
      std::cout << (i ? "," : "") << " ... (" << s.tempos.size() << " changes)";
      break;
    }
    std::cout << (i ? "," : "") << " " << number(std::round(s.tempos[i].bpm() * 100) / 100)
              << " BPM at " << bar_label(s.tempos[i].time);
  }
  std::cout << "\n  time signature:";
  if (s.time_signatures.empty()) std::cout << " 4/4 (default)";
  for (size_t i = 0; i < s.time_signatures.size(); ++i) {
    const auto& t = s.time_signatures[i];
    std::cout << (i ? "," : "") << " " << int(t.numerator) << "/" << int(t.denominator) << " at "
              << bar_label(t.time);
  }
  std::cout << "\n  key:";
  if (s.key_signatures.empty()) std::cout << " none given";
  for (size_t i = 0; i < s.key_signatures.size(); ++i) {
    const auto& k = s.key_signatures[i];
    std::cout << (i ? "," : "") << " " << score::key_name(k.sharps, k.minor) << " at "
              << bar_label(k.time);
  }
  std::cout << "\n  tracks: " << s.tracks.size() << "\n";
  for (size_t i = 0; i < s.tracks.size(); ++i) {
    const score::Track& t = s.tracks[i];
    const score::TrackSummary& ts = sum.tracks[i];
    char line[256];
    std::string instrument = t.is_drum ? "Drum kit" : ts.instrument + " (" + std::to_string(t.program) + ")";
    std::snprintf(line, sizeof line, "    %2zu  ch %-2d  %-34s %6zu notes", i + 1, t.channel + 1,
                  instrument.c_str(), ts.notes);
    std::cout << line;
    if (ts.notes) std::cout << "  " << pitch_name(ts.pitch_min) << ".." << pitch_name(ts.pitch_max);
    if (!t.name.empty()) std::cout << "  \"" << t.name << "\"";
    std::cout << "\n";
  }
  std::cout << "  notes: " << sum.notes << "\n";
}

int run_info(const InfoOptions& o) {
  const std::vector<uint8_t> bytes = midi::read_file_bytes(o.path, size_t(limits::kMaxMidiFileBytes));
  const midi::File file = midi::parse(bytes, o.path);
  score::Score s;
  try {
    s = score::from_midi(file);
  } catch (const Error& e) {
    throw Error(e.code(), o.path + ": " + e.what());
  }
  const score::Summary sum = score::summarize(s);
  if (o.json)
    // Names in old files are often Latin-1: invalid UTF-8 is replaced, not an error.
    std::cout << to_json(o, file, s, sum).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  else
    print_text(o, file, s, sum);
  return 0;
}

Verb info_verb{"info", "Describe a MIDI file: tracks, instruments, tempo, metre, key, length",
               [](CLI::App& app) {
                 auto o = std::make_shared<InfoOptions>();
                 app.add_option("file", o->path, "MIDI file (.mid, .midi, .kar, .rmi)")->required();
                 app.add_flag("--json", o->json, "print one JSON object instead of text");
                 app.add_flag("--notes", o->notes,
                              "with --json: list every note as [start, duration, pitch, velocity]");
                 return [o] { return run_info(*o); };
               },
               20};

}  // namespace
}  // namespace continuo::cli
