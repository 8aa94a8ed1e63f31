// Brace-structured configuration text (Piranha lvs.cf, keepalived.conf) as a
// tree of statements, each with its line, its words and its block.
//
// Syntax errors (a `}` without its `{`, a block never closed, an unterminated
// quote) are collected with their lines; the tree holds whatever could be
// read, so one pass reports them all.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <lb/import/imported.h>

namespace lb::import::detail {

struct Statement {
  int line = 0;
  std::vector<std::string> words;  // quotes removed
  bool has_block = false;
  std::vector<Statement> block;
  int end_line = 0;  // the line of the block's `}`
};

enum class Syntax {
  // lvs.cf: `key = value` (value: the rest of the line, one word, quotes
  // removed), `virtual NAME {`, `}`; `#` starts a comment.
  kLvsCf,
  // keepalived.conf: whitespace-separated words, "quoted strings", `{` and
  // `}` as words of their own; `#` and `!` start a comment. A `{` alone on a
  // line opens the block of the statement above it.
  kKeepalived,
};

std::vector<Statement> read_blocks(std::string_view text, Syntax syntax,
                                   std::vector<Warning>& errors);

// The statement as one line of text ("HTTP_GET { url { path / } }"), for
// comments that keep what could not be carried over.
std::string flatten(const Statement& statement);

}  // namespace lb::import::detail
