#include "util/error.hpp"

#include <cstring>

namespace hardrun {

Error system_error(const std::string& what, int errnum)
{
    return Error(what + ": " + std::strerror(errnum));
}

}  // namespace hardrun
