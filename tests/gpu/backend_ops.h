// The backend consistency harness (as llama.cpp's test-backend-ops): every op is a case
// that builds its inputs on a backend from a seeded generator, runs the op, and reads
// the result back. The harness runs each case on the CPU backend (the reference, itself
// checked against scalar code in tests/engine) and on the CUDA backend, and compares the
// two by normalised mean squared error against the case's bound.
//
// Adding an op: one OpCase (a setup lambda) and one line in registerCases().
#pragma once

#include "moe/backend.h"

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace moe::test {

// Inputs and outputs of one case on one backend. Identical seeds give identical host
// data on every backend; host copies of weights stay alive (the CPU backend uses them
// in place).
class OpContext {
public:
    OpContext(Backend& backend, uint64_t seed);
    ~OpContext();
    OpContext(const OpContext&) = delete;
    OpContext& operator=(const OpContext&) = delete;

    Backend& backend() { return m_backend; }
    // Random F32 activations in [-scale, scale].
    DeviceTensor activations(int64_t rows, int64_t cols, float scale = 1.f);
    // Random F32 values of a weight, stored as `type` (quantized on the host).
    DeviceTensor weight(DType type, int64_t rows, int64_t cols, float scale = 0.1f);
    DeviceTensor zeros(int64_t rows, int64_t cols);
    std::vector<float> read(const DeviceTensor& t);
    std::mt19937_64& rng() { return m_rng; }

private:
    DeviceTensor upload(const std::vector<float>& host, int64_t rows, int64_t cols);

    Backend& m_backend;
    std::mt19937_64 m_rng;
    std::vector<std::vector<uint8_t>> m_hostWeights;
    std::vector<DeviceTensor> m_owned;
};

struct OpRun {
    std::function<void()> run;                   // the op itself (repeatable for --perf)
    std::function<std::vector<float>()> result;  // the output, read back to the host
    double bytes = 0;                            // moved per run, for GB/s
    double flops = 0;                            // per run, for TFLOP/s
};

struct OpCase {
    std::string name;
    double maxNmse = 1e-10;
    std::function<OpRun(OpContext&)> setup;
};

std::vector<OpCase> registerCases();

// sum (a - b)^2 / sum b^2 (0 when both are all zero); infinity when sizes differ or a
// value is not finite.
double normalisedMse(const std::vector<float>& got, const std::vector<float>& reference);

} // namespace moe::test
