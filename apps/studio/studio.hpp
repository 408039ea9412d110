// The web studio behind `continuo serve`: an HTTP server (cpp-httplib) with a JSON API, generation
// jobs streamed as server-sent events, audio rendered with FluidSynth, and the page (web/)
// embedded in the binary. docs/API.md describes the API; docs/STUDIO.md the page.
//
//   studio::Options opt;  opt.port = 8080;
//   studio::Server server(opt);
//   int port = server.bind();            // throws Error when the address is taken
//   server.run();                         // until stop() (e.g. from a signal thread)
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace continuo::studio {

struct Options {
  std::string host = "127.0.0.1";
  int port = 8080;                       // 0 = any free port
  std::string models_dir;                // serve only the models in this folder (default: registry)
  size_t max_upload_bytes = 4u << 20;    // MIDI uploads
  int max_events = 4096;                 // per variation and request
  int max_variations = 4;
  int workers = 2;                       // jobs generating at once
  int max_queue = 8;                     // jobs waiting for a worker; more are refused (503)
  int http_threads = 48;                 // connections served at once (streams hold one each)
  size_t max_scores = 512;               // uploaded and generated scores kept (oldest dropped)
  size_t audio_cache_bytes = 256u << 20;
  double max_audio_seconds = 900;        // longer scores are not rendered
  std::string soundfont;                 // empty: audio::default_soundfont()
  // recordings (POST /api/recordings): WAV, FLAC, Ogg or MP3, transcribed with basic-pitch
  size_t max_recording_bytes = 16u << 20;
  double max_recording_seconds = 300;
  size_t max_recordings = 16;            // kept at once (the least recently used go first)...
  size_t recordings_bytes = 256u << 20;  // ...and their samples in memory at most
  std::string basic_pitch_dir;           // empty: audio::default_basic_pitch_dir()
};

class Server {
 public:
  explicit Server(Options opt);
  ~Server();
  int bind();      // returns the port
  void run();      // serves until stop()
  void stop();     // safe from any thread

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace continuo::studio
