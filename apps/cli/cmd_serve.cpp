// `continuo serve`: the web studio on http://127.0.0.1:PORT/ (apps/studio, docs/API.md).
#include <malloc.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <thread>

#include "cli/cli.hpp"
#include "continuo/error.hpp"
#include "studio/studio.hpp"

namespace continuo::cli {
namespace {

Verb serve_verb{"serve", "Run the web studio (page and HTTP API) on this machine", [](CLI::App& app) {
  auto o = std::make_shared<studio::Options>();
  auto upload_kib = std::make_shared<size_t>(o->max_upload_bytes / 1024);
  app.add_option("--host", o->host, "address to listen on (127.0.0.1: this machine only)");
  app.add_option("--port", o->port, "port (0 = any free port; the chosen one is printed)")->check(CLI::Range(0, 65535));
  app.add_option("--models", o->models_dir, "serve only the models in this folder (default: every installed model)");
  app.add_option("--jobs", o->workers, "generation jobs running at once")->check(CLI::Range(1, 64));
  app.add_option("--queue", o->max_queue, "jobs waiting for a free slot; more are refused (HTTP 503)")->check(CLI::Range(0, 1000));
  app.add_option("--max-events", o->max_events, "most events a request may ask for, per variation")->check(CLI::Range(1, 100000));
  app.add_option("--max-upload-kib", *upload_kib, "largest MIDI upload")->check(CLI::Range(1, 1 << 20));
  app.add_option("--max-scores", o->max_scores, "scores kept in memory (the oldest are dropped)")->check(CLI::Range(8, 1000000));
  auto audio_mib = std::make_shared<size_t>(o->audio_cache_bytes >> 20);
  app.add_option("--audio-cache-mib", *audio_mib, "memory for rendered audio, MiB")->check(CLI::Range(0, 1 << 20));
  app.add_option("--http-threads", o->http_threads, "connections served at once")->check(CLI::Range(4, 1024));
  app.add_option("--soundfont", o->soundfont, "SF2 soundfont for audio (default: FluidR3_GM.sf2)");
  auto recording_kib = std::make_shared<size_t>(o->max_recording_bytes / 1024);
  app.add_option("--max-recording-kib", *recording_kib, "largest recording upload (WAV, FLAC, Ogg, MP3)")->check(CLI::Range(1, 1 << 20));
  app.add_option("--max-recording-seconds", o->max_recording_seconds, "longest recording accepted")->check(CLI::Range(1.0, 3600.0));
  app.add_option("--max-recordings", o->max_recordings, "recordings kept in memory (the oldest are dropped)")->check(CLI::Range(1, 10000));
  auto recordings_mib = std::make_shared<size_t>(o->recordings_bytes >> 20);
  app.add_option("--recordings-mib", *recordings_mib, "memory for the recordings' sound, MiB")->check(CLI::Range(1, 1 << 20));
  return [o, upload_kib, audio_mib, recording_kib, recordings_mib] {
    o->max_upload_bytes = *upload_kib * 1024;
    o->audio_cache_bytes = *audio_mib << 20;
    o->max_recording_bytes = *recording_kib * 1024;
    o->recordings_bytes = *recordings_mib << 20;
    // A vanished client must not kill the server with SIGPIPE; SIGINT / SIGTERM stop it cleanly.
    ::signal(SIGPIPE, SIG_IGN);
    // dozens of connection threads would each get a malloc arena and keep its free memory
    mallopt(M_ARENA_MAX, 4);
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);   // inherited by every thread started below
    studio::Server server(*o);
    const int port = server.bind();
    std::cout << "Continuo studio: http://" << (o->host == "0.0.0.0" ? "127.0.0.1" : o->host) << ":" << port << "/"
              << std::endl;
    std::atomic<bool> signalled{false};
    std::thread waiter([&server, &signalled, stop_signals] {
      int sig = 0;
      sigwait(&stop_signals, &sig);
      signalled.store(true);
      server.stop();
    });
    server.run();
    if (!signalled.load()) pthread_kill(waiter.native_handle(), SIGTERM);   // wake the waiter
    waiter.join();
    std::fprintf(stderr, "continuo serve: stopped\n");
    return 0;
  };
}, 40};

}  // namespace
}  // namespace continuo::cli
