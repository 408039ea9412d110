// score/gm_names.cpp: General MIDI Level 1 program names (0..127), percussion key names
// (notes 35..81 on channel 10) and key-signature names.
#include <string>

#include "continuo/score.hpp"

namespace continuo::score {
namespace {

constexpr const char* kPrograms[128] = {
    // Piano
    "Acoustic Grand Piano", "Bright Acoustic Piano", "Electric Grand Piano", "Honky-tonk Piano",
    "Electric Piano 1", "Electric Piano 2", "Harpsichord", "Clavinet",
    // Chromatic percussion
    "Celesta", "Glockenspiel", "Music Box", "Vibraphone", "Marimba", "Xylophone", "Tubular Bells",
    "Dulcimer",
    // Organ
    "Drawbar Organ", "Percussive Organ", "Rock Organ", "Church Organ", "Reed Organ", "Accordion",
    "Harmonica", "Tango Accordion",
    // Guitar
    "Acoustic Guitar (nylon)", "Acoustic Guitar (steel)", "Electric Guitar (jazz)",
    "Electric Guitar (clean)", "Electric Guitar (muted)", "Overdriven Guitar", "Distortion Guitar",
    "Guitar Harmonics",
    // Bass
    "Acoustic Bass", "Electric Bass (finger)", "Electric Bass (pick)", "Fretless Bass",
    "Slap Bass 1", "Slap Bass 2", "Synth Bass 1", "Synth Bass 2",
    // Strings
    "Violin", "Viola", "Cello", "Contrabass", "Tremolo Strings", "Pizzicato Strings",
    "Orchestral Harp", "Timpani",
    // Ensemble
    "String Ensemble 1", "String Ensemble 2", "Synth Strings 1", "Synth Strings 2", "Choir Aahs",
    "Voice Oohs", "Synth Choir", "Orchestra Hit",
    // Brass
    "Trumpet", "Trombone", "Tuba", "Muted Trumpet", "French Horn", "Brass Section",
    "Synth Brass 1", "Synth Brass 2",
    // Reed
    "Soprano Sax", "Alto Sax", "Tenor Sax", "Baritone Sax", "Oboe", "English Horn", "Bassoon",
    "Clarinet",
    // Pipe
    "Piccolo", "Flute", "Recorder", "Pan Flute", "Blown Bottle", "Shakuhachi", "Whistle",
    "Ocarina",
    // Synth lead
    "Lead 1 (square)", "Lead 2 (sawtooth)", "Lead 3 (calliope)", "Lead 4 (chiff)",
    "Lead 5 (charang)", "Lead 6 (voice)", "Lead 7 (fifths)", "Lead 8 (bass + lead)",
    // Synth pad
    "Pad 1 (new age)", "Pad 2 (warm)", "Pad 3 (polysynth)", "Pad 4 (choir)", "Pad 5 (bowed)",
    "Pad 6 (metallic)", "Pad 7 (halo)", "Pad 8 (sweep)",
    // Synth effects
    "FX 1 (rain)", "FX 2 (soundtrack)", "FX 3 (crystal)", "FX 4 (atmosphere)",
    "FX 5 (brightness)", "FX 6 (goblins)", "FX 7 (echoes)", "FX 8 (sci-fi)",
    // Ethnic
    "Sitar", "Banjo", "Shamisen", "Koto", "Kalimba", "Bagpipe", "Fiddle", "Shanai",
    // Percussive
    "Tinkle Bell", "Agogo", "Steel Drums", "Woodblock", "Taiko Drum", "Melodic Tom", "Synth Drum",
    "Reverse Cymbal",
    // Sound effects
    "Guitar Fret Noise", "Breath Noise", "Seashore", "Bird Tweet", "Telephone Ring", "Helicopter",
    "Applause", "Gunshot",
};

constexpr int kFirstDrum = 35;
constexpr const char* kDrums[] = {
    "Acoustic Bass Drum",  // 35
    "Bass Drum 1",         // 36
    "Side Stick",          // 37
    "Acoustic Snare",      // 38
    "Hand Clap",           // 39
    "Electric Snare",      // 40
    "Low Floor Tom",       // 41
    "Closed Hi-Hat",       // 42
    "High Floor Tom",      // 43
    "Pedal Hi-Hat",        // 44
    "Low Tom",             // 45
    "Open Hi-Hat",         // 46
    "Low-Mid Tom",         // 47
    "Hi-Mid Tom",          // 48
    "Crash Cymbal 1",      // 49
    "High Tom",            // 50
    "Ride Cymbal 1",       // 51
    "Chinese Cymbal",      // 52
    "Ride Bell",           // 53
    "Tambourine",          // 54
    "Splash Cymbal",       // 55
    "Cowbell",             // 56
    "Crash Cymbal 2",      // 57
    "Vibraslap",           // 58
    "Ride Cymbal 2",       // 59
    "Hi Bongo",            // 60
    "Low Bongo",           // 61
    "Mute Hi Conga",       // 62
    "Open Hi Conga",       // 63
    "Low Conga",           // 64
    "High Timbale",        // 65
    "Low Timbale",         // 66
    "High Agogo",          // 67
    "Low Agogo",           // 68
    "Cabasa",              // 69
    "Maracas",             // 70
    "Short Whistle",       // 71
    "Long Whistle",        // 72
    "Short Guiro",         // 73
    "Long Guiro",          // 74
    "Claves",              // 75
    "Hi Wood Block",       // 76
    "Low Wood Block",      // 77
    "Mute Cuica",          // 78
    "Open Cuica",          // 79
    "Mute Triangle",       // 80
    "Open Triangle",       // 81
};
constexpr int kDrumCount = sizeof(kDrums) / sizeof(kDrums[0]);
static_assert(kDrumCount == 81 - 35 + 1);

constexpr const char* kMajorKeys[15] = {"Cb", "Gb", "Db", "Ab", "Eb", "Bb", "F", "C",
                                        "G",  "D",  "A",  "E",  "B",  "F#", "C#"};
constexpr const char* kMinorKeys[15] = {"Ab", "Eb", "Bb", "F",  "C",  "G",  "D", "A",
                                        "E",  "B",  "F#", "C#", "G#", "D#", "A#"};

}  // namespace

// "" for a program outside 0..127.
const char* gm_program_name(int program) {
  return (program >= 0 && program < 128) ? kPrograms[program] : "";
}

// "" for a note without a General MIDI percussion sound.
const char* gm_drum_name(int note) {
  return (note >= kFirstDrum && note < kFirstDrum + kDrumCount) ? kDrums[note - kFirstDrum] : "";
}

// "D major", "Bb minor"; "unknown key" outside -7..7 sharps.
std::string key_name(int sharps, bool minor) {
  if (sharps < -7 || sharps > 7) return "unknown key";
  return std::string(minor ? kMinorKeys[sharps + 7] : kMajorKeys[sharps + 7]) +
         (minor ? " minor" : " major");
}

}  // namespace continuo::score
