#include "format/ggml_type.h"

#include <array>

namespace dsv4 {
namespace {

constexpr TypeSupport C = TypeSupport::kCompute;
constexpr TypeSupport R = TypeSupport::kReject;
constexpr TypeSupport X = TypeSupport::kRemoved;

// Block sizes and bytes per block as ggml's type traits print them (spec §1).
constexpr std::array<TypeInfo, GGML_TYPE_COUNT> kTypes = {{
    {0, "f32", 1, 4, C},          {1, "f16", 1, 2, C},          {2, "q4_0", 32, 18, C},
    {3, "q4_1", 32, 20, C},       {4, "removed_4", 0, 0, X},    {5, "removed_5", 0, 0, X},
    {6, "q5_0", 32, 22, C},       {7, "q5_1", 32, 24, C},       {8, "q8_0", 32, 34, C},
    {9, "q8_1", 32, 36, R},       {10, "q2_k", 256, 84, C},     {11, "q3_k", 256, 110, C},
    {12, "q4_k", 256, 144, C},    {13, "q5_k", 256, 176, C},    {14, "q6_k", 256, 210, C},
    {15, "q8_k", 256, 292, R},    {16, "iq2_xxs", 256, 66, R},  {17, "iq2_xs", 256, 74, R},
    {18, "iq3_xxs", 256, 98, R},  {19, "iq1_s", 256, 50, R},    {20, "iq4_nl", 32, 18, R},
    {21, "iq3_s", 256, 110, R},   {22, "iq2_s", 256, 82, R},    {23, "iq4_xs", 256, 136, R},
    {24, "i8", 1, 1, R},          {25, "i16", 1, 2, R},         {26, "i32", 1, 4, C},
    {27, "i64", 1, 8, R},         {28, "f64", 1, 8, R},         {29, "iq1_m", 256, 56, R},
    {30, "bf16", 1, 2, C},        {31, "removed_31", 0, 0, X},  {32, "removed_32", 0, 0, X},
    {33, "removed_33", 0, 0, X},  {34, "tq1_0", 256, 54, R},    {35, "tq2_0", 256, 66, R},
    {36, "removed_36", 0, 0, X},  {37, "removed_37", 0, 0, X},  {38, "removed_38", 0, 0, X},
    {39, "mxfp4", 32, 17, C},     {40, "nvfp4", 64, 36, R},     {41, "q1_0", 128, 18, R},
    {42, "q2_0", 64, 18, R},
}};

}  // namespace

const TypeInfo *type_info(uint32_t id) {
  return id < kTypes.size() ? &kTypes[id] : nullptr;
}

std::optional<uint32_t> type_from_name(std::string_view name) {
  for (const TypeInfo &t : kTypes)
    if (t.support != TypeSupport::kRemoved && name == t.name) return t.id;
  return std::nullopt;
}

}  // namespace dsv4
