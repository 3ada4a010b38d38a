// The least any runtime wrapper costs: `hardrun-bench-exec-floor RUNTIME ARGS...` only executes
// RUNTIME with ARGS, as hardrun does after its checks. bench/run measures runc through it beside
// hardrun, so the one exec every wrapper adds (a process image loaded and linked against libc)
// is measured on the machine at hand, not assumed.
#include <unistd.h>

int main(int argc, char** argv)
{
    if (argc < 2)
        return 2;
    execv(argv[1], argv + 1);
    return 127;
}
