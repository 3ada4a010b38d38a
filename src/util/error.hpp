// The one error type of hardrun: a message meant for the person who ran the container.
// main() turns it into the runc-format log line and exit status 1.
#pragma once

#include <stdexcept>
#include <string>

namespace hardrun {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Error with ": strerror(errnum)" appended, for failed system calls.
Error system_error(const std::string& what, int errnum);

}  // namespace hardrun
