/* A stand-in for libcuda.so.1 that reports two H100 GPUs (80 GiB, compute 9.0), for
 * tests of what the program shows and offers when GPUs are there (MOE_CUDA_DRIVER
 * points at it). It only answers device discovery: nothing can run on it. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

int cuInit(unsigned flags) { (void)flags; return 0; }
int cuDriverGetVersion(int* version) { *version = 12040; return 0; }
int cuDeviceGetCount(int* count) { *count = 2; return 0; }
int cuDeviceGet(int* device, int ordinal) { *device = ordinal; return 0; }
int cuDeviceGetName(char* name, int length, int device)
{
    (void)device;
    snprintf(name, (size_t)length, "NVIDIA H100 80GB HBM3");
    return 0;
}
int cuDeviceTotalMem_v2(size_t* bytes, int device)
{
    (void)device;
    *bytes = (size_t)80 << 30;
    return 0;
}
/* Compute capability (75, 76), SMs (16), memory clock in kHz (36), bus width (37). */
int cuDeviceGetAttribute(int* value, int attribute, int device)
{
    (void)device;
    switch (attribute) {
    case 75: *value = 9; break;
    case 76: *value = 0; break;
    case 16: *value = 132; break;
    case 36: *value = 2619000; break;
    case 37: *value = 5120; break;
    default: *value = 1; break;
    }
    return 0;
}
int cuDeviceGetPCIBusId(char* id, int length, int device)
{
    snprintf(id, (size_t)length, "0000:%02x:00.0", 0x3b + device);
    return 0;
}
int cuGetErrorString(int error, const char** text)
{
    (void)error;
    *text = "stand-in driver";
    return 0;
}
