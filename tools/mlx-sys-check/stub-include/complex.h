#define complex _Complex
