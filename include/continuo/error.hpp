// continuo/error.hpp: the one error type of the library.
//
//   try {
//     auto s = continuo::score::load("song.mid");
//   } catch (const continuo::Error& e) {
//     std::cerr << "continuo: " << e.what() << "\n";   // "song.mid: truncated chunk 'MTrk' ..."
//     return e.exit_code();
//   }
//
// The library never prints and never aborts on user data: every problem with a file, an option or
// a model becomes an Error with a code and a message that tells the user what is wrong.
#pragma once

#include <stdexcept>
#include <string>

namespace continuo {

enum class ErrorCode {
  kInvalidArgument = 1,  // a bad option or parameter value
  kNotFound,             // a missing file, model or resource
  kIo,                   // reading or writing failed (permissions, disk full, a directory)
  kCorruptData,          // the bytes are not what the format says (MIDI, safetensors, audio)
  kUnsupported,          // valid data that Continuo cannot handle
  kCancelled,            // a progress callback asked to stop
  kInternal,             // a bug: please report
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }
  // Process exit status for a CLI: 2 for bad usage, 1 otherwise.
  int exit_code() const noexcept { return code_ == ErrorCode::kInvalidArgument ? 2 : 1; }

 private:
  ErrorCode code_;
};

// Progress callback used by long operations: `progress` in [0, 1]; return false to cancel.
using ProgressFn = bool (*)(float progress, void* user);

}  // namespace continuo
