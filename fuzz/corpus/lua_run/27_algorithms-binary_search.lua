-- Whole programs: classic algorithms as a sanity check of everything together.
--## binary search
local arr = {}
for i = 1, 1000 do arr[i] = i * 3 end
local function bsearch(t, x)
  local lo, hi = 1, #t
  while lo <= hi do
    local mid = math.floor((lo + hi) / 2)
    if t[mid] == x then return mid elseif t[mid] < x then lo = mid + 1 else hi = mid - 1 end
  end
  return nil
end
print(bsearch(arr, 300), bsearch(arr, 301), bsearch(arr, 3000), bsearch(arr, 3))
