#include "CRE2.h"

#include <re2/re2.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

struct arbiter_re2 {
    re2::RE2 regex;
    std::vector<std::string> names;  // by group index; empty for unnamed
    arbiter_re2(const char *pattern, size_t length, const re2::RE2::Options &options)
        : regex(re2::StringPiece(pattern, length), options) {}
};

extern "C" arbiter_re2 *arbiter_re2_new(const char *pattern, size_t length, char *error, size_t error_capacity) {
    re2::RE2::Options options;
    options.set_log_errors(false);
    // Go's regexp has no memory cap; long alternations of label values must still compile.
    options.set_max_mem(64 << 20);
    auto *compiled = new arbiter_re2(pattern, length, options);
    if (!compiled->regex.ok()) {
        if (error != nullptr && error_capacity > 0) {
            const std::string &message = compiled->regex.error();
            size_t count = message.size() < error_capacity - 1 ? message.size() : error_capacity - 1;
            std::memcpy(error, message.data(), count);
            error[count] = '\0';
        }
        delete compiled;
        return nullptr;
    }
    compiled->names.resize(compiled->regex.NumberOfCapturingGroups() + 1);
    for (const auto &entry : compiled->regex.CapturingGroupNames()) {
        compiled->names[entry.first] = entry.second;
    }
    return compiled;
}

extern "C" void arbiter_re2_free(arbiter_re2 *regex) { delete regex; }

extern "C" int arbiter_re2_group_count(const arbiter_re2 *regex) { return regex->regex.NumberOfCapturingGroups(); }

extern "C" const char *arbiter_re2_group_name(const arbiter_re2 *regex, int index) {
    if (index < 1 || static_cast<size_t>(index) >= regex->names.size() || regex->names[index].empty()) return nullptr;
    return regex->names[index].c_str();
}

extern "C" int arbiter_re2_full_match(const arbiter_re2 *regex, const char *text, size_t length) {
    return regex->regex.Match(re2::StringPiece(text, length), 0, length, re2::RE2::ANCHOR_BOTH, nullptr, 0) ? 1 : 0;
}

extern "C" int arbiter_re2_search(const arbiter_re2 *regex, const char *text, size_t length, size_t start, long *offsets, int groups) {
    if (start > length || groups < 1) return 0;
    std::vector<re2::StringPiece> pieces(groups);
    re2::StringPiece whole(text, length);
    if (!regex->regex.Match(whole, start, length, re2::RE2::UNANCHORED, pieces.data(), groups)) return 0;
    for (int index = 0; index < groups; index++) {
        if (pieces[index].data() == nullptr) {
            offsets[2 * index] = -1;
            offsets[2 * index + 1] = -1;
        } else {
            long begin = static_cast<long>(pieces[index].data() - text);
            offsets[2 * index] = begin;
            offsets[2 * index + 1] = begin + static_cast<long>(pieces[index].size());
        }
    }
    return 1;
}
