def lin(a,b,x): return a*x+b

def mse(y_hat, y): return ((y_hat - y) ** 2).mean()

def mse_loss(a, b, x, y): return mse(lin(a,b,x), y)

x, y = gen_fake_data(10000, 3., 8.)
a = V(np.random.randn(1), requires_grad=True)
b = V(np.random.randn(1), requires_grad=True)

learning_rate = 1e-3
for t in range(10000):
    loss = mse_loss(a,b,x,y)
    loss.backward()
    a.data -= learning_rate * a.grad.data
    b.data -= learning_rate * b.grad.data
    a.grad.data.zero_()
    b.grad.data.zero_()
