// The corpus make-model trains its byte-level BPE tokenizer on. Written for this project
// (no third-party text, so no licence questions); plain English with a little code and
// numbers so the learned merges look like those of a real tokenizer.
#include "moe/model_maker.h"

namespace moe {

namespace {

constexpr const char kCorpus[] = R"CORPUS(
The workbench is a place to look at how a mixture of experts model thinks. Each token
that enters a layer is sent to a small number of experts, and the router decides which
ones. When you chat with a model here, you can watch the choices appear as a heatmap:
one row per layer, one column per expert, and a colour for how often each was picked.

A mixture of experts layer replaces one large feed-forward block with many smaller
ones. The router is a single matrix. It multiplies the hidden state of a token and
produces one score per expert. The top scores win, their weights are normalised, and
the outputs of the chosen experts are added together. Only a few experts run for each
token, so the model can hold many more parameters than it reads on every step.

That is the whole trick, and it is also the whole difficulty. Experts that are popular
become hot spots. Experts that are never picked waste memory. When the experts live on
different devices, every token that is routed away from its home device must travel
across the interconnect and come back again. The planner in this workbench tries to
predict that traffic before you rent any hardware, and the profiler measures it after.

Good morning! How are you today? I am fine, thank you. What would you like to do?
Let us write a short story about a lighthouse keeper who collects old clocks. She
lives on a small island, and every evening she winds each clock by hand. The clocks
never agree with each other, and she likes it that way. When a storm comes, the
clocks tick louder, or so she says. One night a boat arrives with a stranger who
carries a clock that has no hands at all.

The river runs past the mill and under the old stone bridge. In the spring it is
fast and brown; in the summer it is slow and clear enough to see the fish. Children
throw sticks from one side of the bridge and run to the other side to see which stick
wins. The miller's daughter always wins, because she knows where the current is
strongest.

Here is a recipe for bread. Mix five hundred grams of flour with ten grams of salt and
seven grams of yeast. Add three hundred and fifty millilitres of warm water and knead
the dough for ten minutes. Let it rise for one hour, shape it, let it rise again, and
bake it at two hundred and twenty degrees for thirty five minutes. The crust should
sound hollow when you knock on the bottom of the loaf.

Question: What is the capital of a country that does not exist?
Answer: A country that does not exist has no capital, but you may invent one. Call it
Northhaven, a city of bridges and bookshops built where three rivers meet.

Question: Why is the sky blue?
Answer: Sunlight contains every colour. Air molecules scatter short wavelengths more
strongly than long ones, so blue light is scattered across the whole sky and reaches
your eyes from every direction. At sunset the light travels through more air, the
blue is scattered away, and the reds and oranges remain.

Numbers are tokens too: 0 1 2 3 4 5 6 7 8 9 10 11 12 16 32 64 128 256 512 1024 2048
4096 8192 16384 32768 65536. The year 2024 followed 2023. Pi is about 3.14159, and
the square root of two is about 1.41421. A kilobyte is 1024 bytes; a gigabyte is
1073741824 bytes. Bandwidth is measured in gigabytes per second, latency in
milliseconds, and throughput in tokens per second.

def route(hidden, router, top_k):
    scores = softmax(hidden @ router.T)
    weights, experts = scores.topk(top_k)
    weights = weights / weights.sum(dim=-1, keepdim=True)
    return experts, weights

for (int layer = 0; layer < num_layers; ++layer) {
    x = attention(norm(x), cache[layer]) + x;
    x = experts(norm(x), router[layer]) + x;
}

struct Expert { Tensor gate; Tensor up; Tensor down; };
std::vector<Expert> experts(num_experts);
return {"text": text, "tokens": tokens, "finish_reason": "stop"};

The cat sat on the warm windowsill and watched the birds in the garden. A sparrow
landed on the fence, then another, then a whole family of them. The cat did not move.
It had learned long ago that the window was always closed, and that the birds knew it
too. Still, watching was a pleasure of its own.

In the morning the market fills with people. There are apples and pears, cheese and
bread, flowers in buckets, and a man who sells nothing but string. Nobody knows how he
makes a living, but he has been there for thirty years, and he always has exactly the
length of string you need.

Memory is the limit that matters most. A model with forty billion parameters stored in
sixteen bits needs eighty gigabytes before it has seen a single token. The key and
value cache grows with every token of context. Quantisation shrinks the weights to
eight or four bits at the cost of some accuracy. The planner shows how many graphics
cards of each kind a model needs, and what that costs per hour and per million tokens.

System: You are a helpful assistant. Answer briefly and honestly.
User: Can you explain what a token is?
Assistant: A token is a piece of text the model reads as one unit. Common words are
often one token; rare words are split into several pieces. Spaces usually belong to
the word that follows them.
User: Thank you, that helps.
Assistant: You are welcome. Is there anything else you would like to know?

The mountain path climbs through pine trees and then over bare rock. Walkers stop at
the last spring to fill their bottles, because there is no water above it. From the
summit you can see three lakes, two valleys and, on a clear day, the distant line of
the sea. The wind is always cold up there, even in August.

Engineers measure before they optimise. First they write the simplest version that is
correct, then they test it, then they profile it, and only then do they change the
parts that are slow. A benchmark reports the machine, the model, the settings and the
results, so that someone else can repeat it and get the same answer.

Once upon a time there was a small robot who wanted to learn to paint. It had wheels
instead of feet and brushes instead of fingers. Its first paintings were only lines,
straight and careful. Then one day it rolled through a puddle of blue paint by
accident, and the tracks it left behind were the most beautiful thing it had ever
made. After that it painted with its wheels.

Weather report: cloudy in the north with light rain in the afternoon; sunny and warm
in the south, with temperatures reaching twenty eight degrees. Winds from the west at
fifteen kilometres per hour. Tomorrow will be cooler, with showers spreading from the
coast during the evening.

A good library is quiet but never silent. Pages turn, chairs creak, someone sighs over
a difficult book. The librarian knows where everything is, even the books that have
been put back on the wrong shelf, and she will find them for you if you ask politely.
Some people come to read, some to study, and some simply to sit somewhere warm.

Tokenizers learn merges from text. They start with single bytes and count every pair
of neighbours. The most frequent pair becomes a new token, the counts are updated, and
the process repeats until the vocabulary is full. Frequent words become single tokens;
rare words remain in pieces. Special tokens such as the start and end of a message are
added at the end and never split.

The orchestra tuned their instruments while the hall filled with people. The oboe
played a single note and the others followed it, violins first, then violas, cellos
and basses, then the woodwinds and the brass. When the conductor raised her baton the
room fell silent, and for a moment nobody breathed.

Please summarise the following paragraph in one sentence. The committee met on Tuesday
to discuss the new park. Some members wanted a playground, others wanted a garden, and
one member wanted a pond with ducks. After two hours they agreed to build all three,
but smaller than anyone had hoped. Summary: The committee agreed to build a small
playground, a garden and a duck pond in the new park.

Translate to French: good morning, thank you, see you tomorrow.
Bonjour, merci, à demain.
Translate to German: the house is small but the garden is large.
Das Haus ist klein, aber der Garten ist groß.
Translate to Spanish: where is the train station?
¿Dónde está la estación de tren?

Every answer the model gives is sampled from a probability distribution over the
vocabulary. With a temperature of zero the most likely token is always chosen. Higher
temperatures make the output more varied and more surprising. Top k keeps only the k
most likely tokens; top p keeps the smallest set whose probabilities add up to p; min
p drops tokens much less likely than the best one. Repetition penalties discourage the
model from saying the same thing again and again.

The old train left the station at seven minutes past nine. It was never on time, and
nobody minded. The conductor knew every passenger by name and asked after their
families. Outside, the fields slid past, green and gold, and the river followed the
track for a while before turning away towards the hills.

Checklist for a release: update the version number, write the changelog, run the full
test suite, build the packages, install them on a clean machine, start the program,
open a model, send a message, check the heatmap, export a report, and only then tag
the release and publish it.

Why do we sleep? Nobody knows the full answer. Sleep helps the body repair itself and
helps the brain sort the memories of the day. Without enough sleep we become slow,
forgetful and irritable. Most adults need between seven and nine hours each night,
though some claim to need far less.

The garden in autumn is full of surprises. Pumpkins hide under their leaves, the last
tomatoes ripen on the windowsill, and the apple tree drops its fruit on the path for
the wasps. The beans are dry in their pods and rattle when the wind blows. It is time
to plant the bulbs that will flower in spring.

error: cannot open file "model.gguf": no such file or directory
warning: the tokenizer has fewer tokens than the model's vocabulary; padding
info: loaded 2 layers, 4 experts per layer, 2 active per token
info: prefill 128 tokens in 0.05 s, decode 64 tokens at 250 tokens per second
)CORPUS";

} // namespace

std::string_view builtinTokenizerCorpus() { return {kCorpus, sizeof(kCorpus) - 1}; }

} // namespace moe
