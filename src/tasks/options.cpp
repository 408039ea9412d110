// Parsers for the options users type: metre, key, instruments, drum kits.
#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>

#include "continuo/error.hpp"
#include "continuo/tasks.hpp"

namespace continuo::tasks {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() <= 4 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

std::pair<int, int> parse_time_signature(const std::string& s) {
  auto slash = s.find('/');
  std::string a = trim(s.substr(0, slash)), b = slash == std::string::npos ? "" : trim(s.substr(slash + 1));
  if (!all_digits(a) || !all_digits(b) || tokenizer::timesig_to_class(std::stoi(a), std::stoi(b)) < 0)
    throw Error(ErrorCode::kInvalidArgument,
                "time signature '" + s + "' not understood: use N/D with N in 1..16 and D in 1, 2, 4, 8, 16, 32 (e.g. 3/4)");
  return {std::stoi(a), std::stoi(b)};
}

std::pair<int, bool> parse_key(const std::string& s) {
  std::string t = lower(trim(s));
  bool minor = false;
  for (const char* suffix : {" minor", " min", "m"}) {
    std::string suf = suffix;
    if (t.size() > suf.size() && t.compare(t.size() - suf.size(), suf.size(), suf) == 0) {
      minor = true;
      t = trim(t.substr(0, t.size() - suf.size()));
      break;
    }
  }
  for (const char* suffix : {" major", " maj"}) {
    std::string suf = suffix;
    if (t.size() > suf.size() && t.compare(t.size() - suf.size(), suf.size(), suf) == 0) t = trim(t.substr(0, t.size() - suf.size()));
  }
  static const std::map<std::string, int> pc = {{"c", 0}, {"d", 2}, {"e", 4}, {"f", 5}, {"g", 7}, {"a", 9}, {"b", 11}};
  if (t.empty() || !pc.count(t.substr(0, 1)) || t.size() > 2)
    throw Error(ErrorCode::kInvalidArgument, "key '" + s + "' not understood: use e.g. 'D major', 'F# minor', 'Bb', 'Em'");
  int p = pc.at(t.substr(0, 1));
  int acc = 0;
  if (t.size() == 2) {
    if (t[1] == '#') acc = 1;
    else if (t[1] == 'b') acc = -1;
    else throw Error(ErrorCode::kInvalidArgument, "key '" + s + "' not understood: accidentals are # and b");
  }
  // sharps on the circle of fifths: major key of pitch class p has 7p mod 12 sharps
  int tonic = ((p + acc) % 12 + 12) % 12;
  int major_tonic = minor ? (tonic + 3) % 12 : tonic;
  int sharps = (major_tonic * 7) % 12;
  if (sharps > 6) sharps -= 12;                       // prefer flats past F#
  if (acc == -1 && sharps == 6) sharps = -6;          // Gb rather than F#
  if (acc == 1 && sharps < 0) sharps += 12;           // C# (7 sharps) rather than Db
  if (sharps > 7 || sharps < -7) sharps = sharps > 0 ? sharps - 12 : sharps + 12;
  return {sharps, minor};
}

std::vector<Instrument> parse_instruments(const std::string& s) {
  std::vector<Instrument> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    std::string t = lower(trim(item));
    if (t.empty()) continue;
    if (all_digits(t)) {
      int p = std::stoi(t);
      if (p > 127) throw Error(ErrorCode::kInvalidArgument, "instrument number " + t + " is not a GM program (0..127)");
      out.push_back({p, false});
      continue;
    }
    if (t == "drums" || t == "drum kit" || t == "drumkit") {
      out.push_back({0, true});
      continue;
    }
    int found = -1;
    for (int p = 0; p < 128 && found < 0; ++p)
      if (lower(score::gm_program_name(p)) == t) found = p;
    for (int p = 0; p < 128 && found < 0; ++p)
      if (lower(score::gm_program_name(p)).find(t) != std::string::npos) found = p;
    if (found < 0)
      throw Error(ErrorCode::kInvalidArgument, "instrument '" + trim(item) + "' is not a General MIDI name or number (0..127)");
    out.push_back({found, false});
  }
  if (out.empty()) throw Error(ErrorCode::kInvalidArgument, "no instruments given");
  if (out.size() > size_t(tokenizer::kMaxTracks)) throw Error(ErrorCode::kInvalidArgument, "at most 16 instruments");
  return out;
}

int parse_drum_kit(const std::string& s) {
  static const std::map<std::string, int> kits = {{"standard", 0}, {"room", 8},   {"power", 16},
                                                  {"electronic", 24}, {"tr-808", 25}, {"808", 25},
                                                  {"jazz", 32},     {"brush", 40}, {"orchestra", 48}};
  std::string t = lower(trim(s));
  if (t.empty()) return 0;
  if (all_digits(t) && std::stoi(t) < 128) return std::stoi(t);
  auto it = kits.find(t);
  if (it == kits.end())
    throw Error(ErrorCode::kInvalidArgument,
                "drum kit '" + s + "' unknown: standard, room, power, electronic, tr-808, jazz, brush, orchestra");
  return it->second;
}

}  // namespace continuo::tasks
