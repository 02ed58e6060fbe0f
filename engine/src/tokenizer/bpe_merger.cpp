#include "tokenizer/bpe_merger.h"

#include "tokenizer/text_util.h"

#include <queue>

namespace moe::tok {

namespace {

struct Symbol {
    size_t start;
    size_t len; // 0 once merged into its left neighbour
    int32_t id;
    int prev;
    int next;
};

struct Candidate {
    double priority; // lower merges first
    int left;
    int right;
    size_t len;      // combined length when queued; stale entries no longer match
    int32_t resultId;
    bool operator>(const Candidate& o) const
    {
        return priority != o.priority ? priority > o.priority : left > o.left;
    }
};

class Merger {
public:
    Merger(const BpeTables& t, std::string_view word) : m_t(t), m_word(word) {}

    void run(std::vector<BpeSymbol>& out)
    {
        split();
        for (int i = 0; i + 1 < static_cast<int>(m_syms.size()); ++i) tryAdd(i, i + 1);
        while (!m_queue.empty()) {
            Candidate c = m_queue.top();
            m_queue.pop();
            Symbol& l = m_syms[c.left];
            Symbol& r = m_syms[c.right];
            if (l.len == 0 || r.len == 0 || l.next != c.right || l.len + r.len != c.len) continue;
            l.len += r.len;
            l.id = c.resultId;
            r.len = 0;
            l.next = r.next;
            if (r.next >= 0) m_syms[r.next].prev = c.left;
            if (l.prev >= 0) tryAdd(l.prev, c.left);
            if (l.next >= 0) tryAdd(c.left, l.next);
        }
        for (int i = 0; i >= 0 && i < static_cast<int>(m_syms.size()); i = m_syms[i].next)
            out.push_back({m_word.substr(m_syms[i].start, m_syms[i].len), m_syms[i].id});
    }

private:
    void push(size_t start, size_t len, int32_t id)
    {
        int idx = static_cast<int>(m_syms.size());
        m_syms.push_back({start, len, id, idx - 1, -1});
        if (idx > 0) m_syms[idx - 1].next = idx;
    }

    void split()
    {
        m_syms.reserve(m_word.size());
        for (size_t pos = 0; pos < m_word.size();) {
            size_t n = utf8CharLength(m_word, pos);
            auto it = m_t.tokenIds->find(m_word.substr(pos, n));
            if (it != m_t.tokenIds->end()) {
                push(pos, n, it->second);
            } else if (m_t.byteFallbackIds && !m_t.scores) {
                for (size_t b = 0; b < n; ++b)
                    push(pos + b, 1, m_t.byteFallbackIds[static_cast<unsigned char>(m_word[pos + b])]);
            } else {
                push(pos, n, -1);
            }
            pos += n;
        }
    }

    void tryAdd(int left, int right)
    {
        const Symbol& l = m_syms[left];
        const Symbol& r = m_syms[right];
        size_t len = l.len + r.len;
        if (m_t.scores) {
            // SentencePiece: any vocabulary piece may form, by its score.
            auto it = m_t.tokenIds->find(m_word.substr(l.start, len));
            if (it == m_t.tokenIds->end()) return;
            double score = static_cast<size_t>(it->second) < m_t.scores->size() ? (*m_t.scores)[it->second] : 0.0;
            m_queue.push({-score, left, right, len, it->second});
            return;
        }
        if (l.id < 0 || r.id < 0) return;
        auto it = m_t.merges->find(pairKey(l.id, r.id));
        if (it == m_t.merges->end()) return;
        m_queue.push({static_cast<double>(it->second.rank), left, right, len, it->second.resultId});
    }

    const BpeTables& m_t;
    std::string_view m_word;
    std::vector<Symbol> m_syms;
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> m_queue;
};

} // namespace

void bpeMerge(const BpeTables& tables, std::string_view word, std::vector<BpeSymbol>& out)
{
    if (word.empty()) return;
    Merger(tables, word).run(out);
}

} // namespace moe::tok
